@testable import SSHKit
import Testing

/// The per-source bookkeeping behind PerSourceMaxStartups and
/// PerSourcePenalties, on a clock the test moves.
@Suite struct SourceTrackerTests {
    let second: UInt64 = 1_000_000_000

    @Test func penaltiesAddUpRunDownAndAreCapped() {
        let policy = PenaltyPolicy(authFailure: 5, noAuth: 1, graceExceeded: 20, minimum: 15, maximum: 60)
        let tracker = SourceTracker(perSourceLimit: nil, policy: policy)
        var now = 1_000 * second
        for _ in 0..<3 {
            #expect(tracker.admit("192.0.2.1", now: now) == nil)
            tracker.ended("192.0.2.1", offence: .authFailure, now: now)
        }
        // 15 s is not more than min: still admitted.
        #expect(tracker.admit("192.0.2.1", now: now) == nil)
        tracker.ended("192.0.2.1", offence: .authFailure, now: now)
        #expect(tracker.admit("192.0.2.1", now: now)?.contains("penalized for 20 s") == true)
        // Another address is not affected.
        #expect(tracker.admit("192.0.2.2", now: now) == nil)
        now += 6 * second
        #expect(tracker.admit("192.0.2.1", now: now) == nil)
        // Capped at max however much is added.
        for _ in 0..<10 { tracker.ended("192.0.2.1", offence: .graceExceeded, now: now) }
        #expect(tracker.admit("192.0.2.1", now: now)?.contains("for 60 s") == true)
        now += 46 * second
        #expect(tracker.admit("192.0.2.1", now: now) == nil)
    }

    @Test func perSourceLimitCountsOnlyUnauthenticatedConnections() {
        let tracker = SourceTracker(perSourceLimit: 2, policy: nil)
        #expect(tracker.admit("2001:db8::1") == nil)
        #expect(tracker.admit("2001:db8::1") == nil)
        #expect(tracker.admit("2001:db8::1")?.contains("PerSourceMaxStartups 2") == true)
        tracker.authenticated("2001:db8::1")
        #expect(tracker.admit("2001:db8::1") == nil)
        tracker.ended("2001:db8::1", offence: .noAuth)
        tracker.ended("2001:db8::1", offence: .noAuth)
        #expect(tracker.admit("2001:db8::1") == nil)
    }

    @Test func peerAddressesAreWrittenAsLogsShowThem() {
        #expect(PeerAddress(host: "127.0.0.1", port: 40222).description == "127.0.0.1:40222")
        #expect(PeerAddress(host: "2001:db8::1", port: 22).description == "[2001:db8::1]:22")
        #expect(PeerAddress.unknown.description == "unknown")
    }
}
