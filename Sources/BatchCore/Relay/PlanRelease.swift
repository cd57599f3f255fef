/// The relay plans of one batch as they go out to its targets, so that no
/// target is ever told to fetch from a peer that would refuse it: a plan
/// naming a peer source goes out only once that peer confirmed (`granted`)
/// the grant that lets the target in. Until then the plan is held; the
/// peer's own plan, with the grant, goes out first. A peer that does not
/// confirm in time is left out of the held plans (`expire`), so a target
/// waits at most that long and then fetches from the sources that can
/// serve it. Pure: the server sends what it returns.
public struct PlanRelease: Sendable, Equatable {
    /// Upstream target → the targets it confirmed it lets in.
    private var confirmed: [String: Set<String>] = [:]
    /// Target → its newest plan, waiting for a confirmation.
    private var held: [String: Plan] = [:]

    public init() {}

    /// Whether some plan waits for a confirmation.
    public var isHolding: Bool { !held.isEmpty }

    /// Takes the planner's newest plans for some targets and returns those
    /// to send now, plans that carry grants first (so that the targets
    /// waiting on them are released as early as possible). The rest are
    /// held, replacing whatever was held for the same target.
    public mutating func release(_ plans: [(target: String, plan: Plan)]) -> [(target: String, plan: Plan)] {
        var ready: [(target: String, plan: Plan)] = []
        for (target, plan) in plans {
            if usable(plan, for: target) {
                held.removeValue(forKey: target)
                ready.append((target, plan))
            } else {
                held[target] = plan
            }
        }
        return ready.filter { !$0.plan.grants.isEmpty } + ready.filter { $0.plan.grants.isEmpty }
    }

    /// `upstream` confirmed that its listener lets `downstreams` in:
    /// returns the held plans this makes usable.
    public mutating func confirm(upstream: String, downstreams: [String]) -> [(target: String, plan: Plan)] {
        confirmed[upstream, default: []].formUnion(downstreams)
        let usableNow = held.filter { usable($0.value, for: $0.key) }.sorted { $0.key < $1.key }
        for (target, _) in usableNow { held.removeValue(forKey: target) }
        return usableNow.map { ($0.key, $0.value) }
    }

    /// `upstream` went away (its subscription closed): what it confirmed
    /// no longer holds, since its listener may have gone with it.
    public mutating func forget(upstream: String) {
        confirmed.removeValue(forKey: upstream)
    }

    /// The wait ran out: every held plan goes out without the peer sources
    /// that have not confirmed, and the names of those left out.
    public mutating func expire() -> (plans: [(target: String, plan: Plan)], unconfirmed: Set<String>) {
        var unconfirmed: Set<String> = []
        var plans: [(target: String, plan: Plan)] = []
        for (target, plan) in held.sorted(by: { $0.key < $1.key }) {
            var trimmed = plan
            trimmed.sources = plan.sources.filter { admits($0, target) }
            unconfirmed.formUnion(plan.sources.filter { !admits($0, target) }.map(\.name))
            if trimmed.sources.isEmpty { trimmed.sources = [.server] }
            plans.append((target, trimmed))
        }
        held.removeAll()
        return (plans, unconfirmed)
    }

    private func usable(_ plan: Plan, for target: String) -> Bool {
        plan.sources.allSatisfy { admits($0, target) }
    }

    private func admits(_ source: PlanSource, _ target: String) -> Bool {
        source.isServer || confirmed[source.name]?.contains(target) == true
    }
}
