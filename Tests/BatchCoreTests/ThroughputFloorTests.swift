import Testing
@testable import BatchCore

/// When a target gives up on a slow peer, on a clock the tests drive.
@Suite struct ThroughputFloorTests {
    /// Feeds `bytesPerSecond` in tenths of a second from `from` to `to`.
    private func feed(_ floor: inout ThroughputFloor, _ bytesPerSecond: Int, from: Double, to: Double) -> ThroughputFloor.Verdict? {
        var now = from
        while now < to {
            now += 0.1
            floor.received(bytesPerSecond / 10, at: now)
            if let verdict = floor.verdict(at: now) { return verdict }
        }
        return nil
    }

    @Test func aPeerIsNotJudgedInItsGraceTime() {
        var floor = ThroughputFloor()
        floor.begin(source: "bob", at: 100)
        let inGrace = floor.verdict(at: 100 + ThroughputFloor.grace - 0.01)
        #expect(inGrace == nil)
        let afterGrace = floor.verdict(at: 100 + ThroughputFloor.grace)
        #expect(afterGrace != nil)
    }

    @Test func aPeerThatServesAPieceThenStallsIsDroppedAWindowLater() throws {
        var floor = ThroughputFloor()
        floor.begin(source: "bob", at: 0)
        floor.received(4 << 20, at: 0.3)
        // The piece still counts while it is in the window...
        let whileThePieceCounts = feed(&floor, 0, from: 0.3, to: 4.2)
        #expect(whileThePieceCounts == nil)
        // ...and the stall is caught within a second of leaving it.
        var now = 4.2
        var verdict: ThroughputFloor.Verdict?
        while verdict == nil, now < 10 {
            now += 0.25
            verdict = floor.verdict(at: now)
        }
        let caught = try #require(verdict)
        #expect(now <= 0.3 + ThroughputFloor.window + 1)
        #expect(caught.rateBps == 0)
        #expect(caught.floorBps == ThroughputFloor.minimumBps)
        #expect(caught.sentence == "too slow: 0 B/s over the last 8 s, under the floor of 65.5 KB/s")
    }

    @Test func aTrickleOfAByteASecondIsDropped() throws {
        var floor = ThroughputFloor()
        floor.begin(source: "bob", at: 0)
        var verdict: ThroughputFloor.Verdict?
        var now = 0.0
        while verdict == nil, now < 20 {
            now += 1
            floor.received(1, at: now)
            verdict = floor.verdict(at: now)
        }
        #expect(now == ThroughputFloor.grace)
        #expect((try #require(verdict)).rateBps < 2)
    }

    @Test func aSteadyPeerAboveTheFloorIsKept() {
        var floor = ThroughputFloor()
        floor.begin(source: "bob", at: 0)
        let steady = feed(&floor, 1_000_000, from: 0, to: 60)
        #expect(steady == nil)
        #expect((floor.best["bob"] ?? 0) > 900_000)
    }

    @Test func theFloorIsATenthOfTheBestOtherSource() {
        var floor = ThroughputFloor()
        floor.begin(source: "server", at: 0)
        let fromTheServer = feed(&floor, 10_000_000, from: 0, to: 10)
        #expect(fromTheServer == nil)
        floor.begin(source: "carol", at: 10)
        #expect(abs(floor.floorBps() - 1_000_000) < 50_000)
        // A tenth of the server's rate and a little more is kept...
        let aTenthAndMore = feed(&floor, 1_200_000, from: 10, to: 30)
        #expect(aTenthAndMore == nil)
        // ...a twentieth is not.
        floor.begin(source: "dave", at: 30)
        let verdict = feed(&floor, 500_000, from: 30, to: 40)
        #expect(verdict != nil)
        #expect(verdict.map { $0.rateBps < $0.floorBps } == true)
    }

    @Test func aSourceIsNotJudgedAgainstItsOwnBest() {
        var floor = ThroughputFloor()
        floor.begin(source: "bob", at: 0)
        let first = feed(&floor, 10_000_000, from: 0, to: 10)
        #expect(first == nil)
        floor.begin(source: "bob", at: 10)
        #expect(floor.floorBps() == ThroughputFloor.minimumBps)
    }
}
