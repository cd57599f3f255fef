/// Decides, for one batch, which target the server sends the archive to and
/// where each other accepted target fetches it from.
///
/// The aim is that the server sends about one copy and every target's
/// uplink carries about one copy, each at once: targets serve pieces as
/// soon as they hold them, so a chain of targets finishes in about one
/// copy's transfer time plus one piece per hop, where a star from the
/// server would take one copy's time per target.
///
/// The algorithm, greedy in acceptance order:
///
/// 1. The first accepted target that has not failed is the first receiver;
///    its only source is the server.
/// 2. Each later target, in the order they accepted, gets as sources the
///    targets already placed, ranked by a score for the link from each to
///    it, best first, and the server last. The best becomes its primary
///    upstream, whose uplink then carries one more copy.
///    - `throughput`: the rate the target would receive at through that
///      upstream: the link's throughput divided by the copies the
///      upstream's uplink would then carry, and never above the rate the
///      upstream itself receives at, since a relay cannot pass on bytes
///      faster than they reach it. Higher is better.
///    - `latency`: the link's round-trip time times the copies the
///      upstream's uplink would then carry. Lower is better.
///    Ties go to the upstream with fewer copies on its uplink, then to the
///    name that sorts first, so equal inputs always give equal plans.
/// 3. An unmeasured link is scored as well as the best link measured so
///    far (or ``defaultThroughputBps`` / ``defaultRTTMs`` when none is), so
///    it gets tried and then measured: unknown links are explored, known
///    ones exploited.
///
/// Only targets placed earlier are ever sources, so no two targets wait on
/// each other. A failed target (it failed, served a bad piece, or was too
/// slow for this batch) is never a source; it is still planned, as a leaf
/// after all the others, so it can go on receiving. Re-planning is calling
/// ``plan(accepted:failed:dropped:)`` again with a larger `failed` set,
/// newer link figures or more dropped sources; targets accepted before a
/// newly failed one keep their sources unless the figures changed.
///
/// A target that dropped a source (it stalled, was too slow or served it
/// a bad piece) is never given that source again for the batch. One
/// target's word does not take a source from the others, so a lying
/// target cannot push the whole fleet back onto the server; a source two
/// targets dropped is treated as failed for everyone.
public struct RelayPlanner: Sendable {
    /// What an unmeasured link's throughput is taken to be when no link has
    /// been measured at all: 100 Mbit/s. With nothing measured every link
    /// scores the same, so only its order against measured links matters.
    public static let defaultThroughputBps: Double = 12_500_000
    /// What an unmeasured link's round-trip time is taken to be when no link
    /// has been measured at all.
    public static let defaultRTTMs: Double = 1
    /// The most peer sources a target is given besides the server: enough
    /// alternates to survive a few failures without re-planning, few enough
    /// that a plan for a large fleet stays small.
    public static let defaultMaxPeerSources = 8
    /// How many of a link's newest samples ``stats(from:)`` takes the
    /// median of.
    public static let sampleWindow = 5

    private static let server = PlanSource.serverName

    /// What links are ranked by.
    public var strategy: RelayStrategy
    /// The known figures of each directed link; missing links are
    /// unmeasured.
    public var links: [LinkKey: LinkStats]
    /// The most peer sources listed for one target, before the server.
    public var maxPeerSources: Int

    /// Creates a planner from the link figures known now.
    public init(strategy: RelayStrategy, links: [LinkKey: LinkStats], maxPeerSources: Int = defaultMaxPeerSources) {
        self.strategy = strategy
        self.links = links
        self.maxPeerSources = max(0, maxPeerSources)
    }

    /// Plans one batch.
    ///
    /// - Parameters:
    ///   - accepted: the targets that accepted the batch, in the order they
    ///     accepted. Repeated names count once; the name `server` is not a
    ///     target and is left out.
    ///   - failed: sources that failed, served a bad piece or were too slow
    ///     for this batch; they are never ranked as anyone's source.
    ///   - dropped: for each target, the sources it dropped for this batch;
    ///     they are never that target's sources, and a source that two or
    ///     more targets dropped counts as failed.
    /// - Returns: for every accepted target its sources best first, always
    ///   ending with `server`; the first receiver has only `server`.
    public func plan(accepted: [String], failed: Set<String>, dropped: [String: Set<String>] = [:]) -> RelayPlan {
        var seen: Set<String> = []
        let targets = accepted.filter { $0 != Self.server && seen.insert($0).inserted }
        let failed = failed.union(Self.distrusted(by: dropped))
        let healthy = targets.filter { !failed.contains($0) }
        let sidelined = targets.filter { failed.contains($0) }

        guard let first = healthy.first else {
            return RelayPlan(firstReceiver: nil, sources: Dictionary(uniqueKeysWithValues: targets.map { ($0, [Self.server]) }))
        }
        let optimism = optimisticScore()
        var sources: [String: [String]] = [first: [Self.server]]
        var placed = [first]
        var copies: [String: Int] = [first: 0]
        // The rate each placed target receives at, for the throughput
        // strategy's bound; the first receiver's is its link from the server.
        var inflow: [String: Double] = [first: linkScore(from: Self.server, to: first, optimism: optimism)]

        for target in healthy.dropFirst() + sidelined {
            let refused = dropped[target] ?? []
            let ranked = placed.filter { !refused.contains($0) }.map { upstream in
                let load = copies[upstream, default: 0]
                let link = linkScore(from: upstream, to: target, optimism: optimism)
                let value: Double
                switch strategy {
                case .throughput:
                    value = min(inflow[upstream, default: link], link / Double(load + 1))
                case .latency:
                    // Negated so that higher is better for both strategies.
                    value = -link * Double(load + 1)
                }
                return Candidate(name: upstream, value: value, load: load)
            }.sorted()
            sources[target] = ranked.prefix(maxPeerSources).map(\.name) + [Self.server]
            guard maxPeerSources > 0 else { continue }
            // A target that dropped every placed peer takes the batch from
            // the server, and can still pass it on.
            let primary = ranked.first
            if let primary { copies[primary.name, default: 0] += 1 }
            if !failed.contains(target) {
                placed.append(target)
                copies[target] = 0
                inflow[target] = primary?.value ?? linkScore(from: Self.server, to: target, optimism: optimism)
            }
        }
        return RelayPlan(firstReceiver: first, sources: sources)
    }

    /// The sources that two or more targets dropped.
    static func distrusted(by dropped: [String: Set<String>]) -> Set<String> {
        var reporters: [String: Int] = [:]
        for (target, sources) in dropped {
            for source in sources where source != target { reporters[source, default: 0] += 1 }
        }
        return Set(reporters.filter { $0.value >= 2 }.keys)
    }

    /// Aggregates link samples, oldest first, into figures per link: the
    /// median of each link's newest ``sampleWindow`` throughputs and,
    /// separately, of its newest round-trip times. The median follows a link
    /// that changed within a few samples, and one stalled transfer does not
    /// swing it. Samples that are negative or not finite are ignored.
    public static func stats(
        from samples: [(from: String, to: String, throughputBps: Double, rttMs: Double?)]
    ) -> [LinkKey: LinkStats] {
        var throughputs: [LinkKey: [Double]] = [:]
        var rtts: [LinkKey: [Double]] = [:]
        var counts: [LinkKey: Int] = [:]
        for sample in samples {
            let key = LinkKey(from: sample.from, to: sample.to)
            let goodThroughput = sample.throughputBps.isFinite && sample.throughputBps >= 0
            let goodRTT = sample.rttMs.map { $0.isFinite && $0 >= 0 } ?? false
            guard goodThroughput || goodRTT else { continue }
            counts[key, default: 0] += 1
            if goodThroughput { throughputs[key, default: []].append(sample.throughputBps) }
            if goodRTT, let rtt = sample.rttMs { rtts[key, default: []].append(rtt) }
        }
        var result: [LinkKey: LinkStats] = [:]
        for (key, count) in counts {
            result[key] = LinkStats(
                throughputBps: median(of: throughputs[key, default: []].suffix(sampleWindow)),
                rttMs: median(of: rtts[key, default: []].suffix(sampleWindow)),
                samples: count)
        }
        return result
    }

    private static func median(of values: ArraySlice<Double>) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// The link's measure under the strategy (throughput, or round-trip
    /// time), or `optimism` when it has none.
    private func linkScore(from: String, to: String, optimism: Double) -> Double {
        measure(links[LinkKey(from: from, to: to)]) ?? optimism
    }

    /// The figure the strategy ranks by; one that is negative or not finite
    /// counts as unmeasured, so it cannot upset the ordering.
    private func measure(_ stats: LinkStats?) -> Double? {
        let value: Double?
        switch strategy {
        case .throughput: value = stats?.throughputBps
        case .latency: value = stats?.rttMs
        }
        guard let value, value.isFinite, value >= 0 else { return nil }
        return value
    }

    /// The best measure of any link, which unmeasured links are credited
    /// with.
    private func optimisticScore() -> Double {
        let measured = links.values.compactMap(measure)
        switch strategy {
        case .throughput: return measured.max() ?? Self.defaultThroughputBps
        case .latency: return measured.min() ?? Self.defaultRTTMs
        }
    }

    /// One possible upstream for a target, as ranked: higher value first,
    /// then fewer copies on its uplink, then name.
    private struct Candidate: Comparable {
        var name: String
        var value: Double
        var load: Int

        static func < (lhs: Candidate, rhs: Candidate) -> Bool {
            if lhs.value != rhs.value { return lhs.value > rhs.value }
            if lhs.load != rhs.load { return lhs.load < rhs.load }
            return lhs.name < rhs.name
        }
    }
}
