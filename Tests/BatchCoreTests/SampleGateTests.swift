import Testing
@testable import BatchCore

private func sample(_ batch: Int64 = 7, from source: String = "bob", bytes: Int64, seconds: Double, rtt: Double? = 1)
    -> LinkSampleReport {
    LinkSampleReport(batch: batch, source: source, bytes: bytes, seconds: seconds, rttMs: rtt)
}

/// A target's link reports count only as far as its deliveries confirm.
@Suite struct SampleGateTests {
    @Test func anHonestReportPassesUnchangedAtDelivery() {
        var gate = SampleGate()
        gate.accepted(batch: 7, target: "carol", at: 100)
        let held = gate.hold(sample(bytes: 50_000_000, seconds: 5), from: "carol")
        #expect(held)
        let confirmed = gate.delivered(batch: 7, target: "carol", size: 50_000_000, at: 105)
        #expect(confirmed == [SampleGate.Confirmed(from: "bob", to: "carol", throughputBps: 10_000_000, rttMs: 1)])
        #expect(gate.count == 0)
    }

    @Test func aBoastIsCappedAtTheArchiveSizeOverTheTimeTheServerSaw() {
        var gate = SampleGate()
        gate.accepted(batch: 7, target: "carol", at: 100)
        // Claims 50 MB in a millisecond: 50 GB/s.
        gate.hold(sample(bytes: 50_000_000, seconds: 0.001), from: "carol")
        gate.hold(sample(from: "server", bytes: 1, seconds: 1), from: "carol")
        let confirmed = gate.delivered(batch: 7, target: "carol", size: 50_000_000, at: 110)
        #expect(confirmed.map(\.throughputBps) == [5_000_000, 1])
    }

    @Test func reportsWithoutAnAcceptedOfferAreDropped() {
        var gate = SampleGate()
        let withoutAccept = gate.hold(sample(bytes: 1, seconds: 1), from: "carol")
        #expect(!withoutAccept)
        gate.accepted(batch: 7, target: "carol", at: 0)
        let otherBatch = gate.hold(sample(8, bytes: 1, seconds: 1), from: "carol")
        #expect(!otherBatch)
        let otherTarget = gate.hold(sample(bytes: 1, seconds: 1), from: "dave")
        #expect(!otherTarget)
        let forOtherTarget = gate.delivered(batch: 7, target: "dave", size: 10, at: 1)
        #expect(forOtherTarget.isEmpty)
    }

    @Test func reportsAboutItselfInNoTimeOrOfMoreThanTheArchiveAreDropped() {
        var gate = SampleGate()
        gate.accepted(batch: 7, target: "carol", at: 0)
        let aboutItself = gate.hold(sample(from: "carol", bytes: 1, seconds: 1), from: "carol")
        #expect(!aboutItself)
        let inNoTime = gate.hold(sample(bytes: 1, seconds: 0), from: "carol")
        #expect(!inNoTime)
        let tooLarge = gate.hold(sample(bytes: 1_000, seconds: 1), from: "carol")
        #expect(tooLarge)
        let confirmed = gate.delivered(batch: 7, target: "carol", size: 999, at: 10)
        #expect(confirmed.isEmpty)
    }

    @Test func anOfferThatEndsWithoutDeliveryDropsItsReports() {
        var gate = SampleGate()
        gate.accepted(batch: 7, target: "carol", at: 0)
        gate.hold(sample(bytes: 1, seconds: 1), from: "carol")
        gate.ended(batch: 7, target: "carol")
        let confirmed = gate.delivered(batch: 7, target: "carol", size: 10, at: 1)
        #expect(confirmed.isEmpty)
    }

    @Test func aRepeatedAcceptKeepsTheFirstTime() {
        var gate = SampleGate()
        gate.accepted(batch: 7, target: "carol", at: 0)
        gate.accepted(batch: 7, target: "carol", at: 9)
        gate.hold(sample(bytes: 100, seconds: 0.01), from: "carol")
        let confirmed = gate.delivered(batch: 7, target: "carol", size: 100, at: 10)
        #expect(confirmed.map(\.throughputBps) == [10])
    }

    @Test func memoryIsBoundedPerOfferAndInAll() {
        var gate = SampleGate()
        gate.accepted(batch: 1, target: "carol", at: 0)
        for _ in 0 ..< SampleGate.maxSamplesPerOffer {
            let held = gate.hold(sample(1, bytes: 1, seconds: 1), from: "carol")
            #expect(held)
        }
        let overTheCap = gate.hold(sample(1, bytes: 1, seconds: 1), from: "carol")
        #expect(!overTheCap)
        for batch in 2 ... Int64(SampleGate.maxOpenOffers + 1) {
            gate.accepted(batch: batch, target: "carol", at: Double(batch))
        }
        #expect(gate.count == SampleGate.maxOpenOffers)
        // The oldest accept went first.
        let evicted = gate.hold(sample(1, bytes: 1, seconds: 1), from: "carol")
        #expect(!evicted)
        let kept = gate.hold(sample(2, bytes: 1, seconds: 1), from: "carol")
        #expect(kept)
    }
}
