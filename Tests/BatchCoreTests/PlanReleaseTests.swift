import BatchCore
import Testing

/// No plan names a peer source before that peer confirmed the grant that
/// lets the plan's target in.
@Suite struct PlanReleaseTests {
    static let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"

    func peer(_ name: String) -> PlanSource {
        PlanSource(name: name, address: "127.0.0.1:2300", hostKey: Self.key)
    }

    func plan(from sources: [PlanSource], granting users: [String] = []) -> Plan {
        Plan(batch: 7, sources: sources, grants: users.map { PeerGrant(user: $0, keys: [Self.key]) })
    }

    @Test func aPlanFromTheServerAloneGoesOutAtOnce() {
        var release = PlanRelease()
        let sent = release.release([("bob", plan(from: [.server]))])
        #expect(sent.map(\.target) == ["bob"])
        #expect(!release.isHolding)
    }

    @Test func aDownstreamWaitsForItsUpstreamsConfirmation() {
        var release = PlanRelease()
        let sent = release.release([
            ("carol", plan(from: [peer("bob"), .server])),
            ("bob", plan(from: [.server], granting: ["carol"])),
        ])
        // The upstream's plan, with the grant, goes out; the downstream's waits.
        #expect(sent.map(\.target) == ["bob"])
        #expect(release.isHolding)
        #expect(release.confirm(upstream: "bob", downstreams: ["dave"]).isEmpty)
        let released = release.confirm(upstream: "bob", downstreams: ["carol", "dave"])
        #expect(released.map(\.target) == ["carol"])
        #expect(released.first?.plan.sources.map(\.name) == ["bob", "server"])
        #expect(!release.isHolding)
    }

    @Test func plansCarryingGrantsGoFirst() {
        var release = PlanRelease()
        _ = release.confirm(upstream: "bob", downstreams: ["carol"])
        let sent = release.release([
            ("carol", plan(from: [peer("bob"), .server])),
            ("bob", plan(from: [.server], granting: ["carol"])),
        ])
        #expect(sent.map(\.target) == ["bob", "carol"])
    }

    @Test func aNewerPlanReplacesAHeldOne() {
        var release = PlanRelease()
        _ = release.release([("carol", plan(from: [peer("bob"), .server]))])
        let sent = release.release([("carol", plan(from: [.server]))])
        #expect(sent.map(\.target) == ["carol"])
        #expect(!release.isHolding)
        #expect(release.confirm(upstream: "bob", downstreams: ["carol"]).isEmpty)
    }

    @Test func anUpstreamThatLeavesMustConfirmAgain() {
        var release = PlanRelease()
        _ = release.confirm(upstream: "bob", downstreams: ["carol"])
        release.forget(upstream: "bob")
        #expect(release.release([("carol", plan(from: [peer("bob"), .server]))]).isEmpty)
    }

    @Test func expiryLeavesOutWhoDidNotConfirm() {
        var release = PlanRelease()
        _ = release.confirm(upstream: "dave", downstreams: ["carol"])
        _ = release.release([
            ("carol", plan(from: [peer("bob"), peer("dave"), .server])),
            ("erin", plan(from: [peer("bob")])),
        ])
        let (plans, unconfirmed) = release.expire()
        #expect(unconfirmed == ["bob"])
        #expect(plans.map(\.target) == ["carol", "erin"])
        #expect(plans[0].plan.sources.map(\.name) == ["dave", "server"])
        // A plan left with no source at all falls back to the server, never to nothing.
        #expect(plans[1].plan.sources.map(\.name) == ["server"])
        #expect(!release.isHolding)
    }
}
