import BatchCore
import BatchStore
import Foundation
import Testing

/// `Catalogue.stats()`: what an operator reads in `batchctl stats`, from a
/// history with deliveries from the server and from a peer, a decline, a
/// failure and a purge.
@Suite struct StatsCatalogueTests {
    /// alice drops four batches; bob and carol (ops) and dave (no topic)
    /// are targets. Returns the catalogue and when the history started.
    private func history(in directory: TemporaryDirectory) throws -> (Catalogue, start: Int64) {
        let start = Int64(Date().timeIntervalSince1970)
        let catalogue = try populatedCatalogue(in: directory)
        try catalogue.addUser(name: "dave", role: .target, keys: [sampleKey(5)])

        // 1 → ops: bob gets it from the server, carol mostly from bob.
        let first = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
        try catalogue.sealBatch(id: first, archivePath: "/a/1", summary: sampleSeal, files: sampleFiles)
        for target in ["bob", "carol"] { try catalogue.updateOffer(batch: first, target: target, state: .accepted) }
        try catalogue.addReceivedBytes(batch: first, target: "bob", source: "server", bytes: 1234)
        try catalogue.updateOffer(batch: first, target: "bob", state: .delivered, detail: "from server")
        try catalogue.addReceivedBytes(batch: first, target: "carol", source: "server", bytes: 100)
        try catalogue.addReceivedBytes(batch: first, target: "carol", source: "bob", bytes: 1234)
        try catalogue.updateOffer(batch: first, target: "carol", state: .delivered, detail: "from bob,server")

        // 2 → @bob: declined.
        let second = try catalogue.openBatch(source: "alice", destination: .users(["bob"]))
        try catalogue.sealBatch(id: second, archivePath: "/a/2", summary: sampleSeal, files: sampleFiles)
        try catalogue.updateOffer(batch: second, target: "bob", state: .declined, detail: "not for me")

        // 3 → ops: bob fails half-way, then the batch is purged (carol's offer fails).
        let third = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
        try catalogue.sealBatch(id: third, archivePath: "/a/3", summary: sampleSeal, files: sampleFiles)
        try catalogue.updateOffer(batch: third, target: "bob", state: .accepted)
        try catalogue.addReceivedBytes(batch: third, target: "bob", source: "server", bytes: 500)
        try catalogue.updateOffer(batch: third, target: "bob", state: .failed, detail: "disk full")
        _ = try catalogue.purgeBatch(id: third, reason: "test")

        // 4: still uploading.
        _ = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
        return (catalogue, start)
    }

    @Test func batchesBytesOffersAndDeliveriesAreCounted() throws {
        let directory = try TemporaryDirectory()
        let (catalogue, _) = try history(in: directory)
        let stats = try catalogue.stats()
        #expect(stats.users == ["source": 1, "target": 3, "admin": 1])
        #expect(stats.topics == 1)
        #expect(stats.batches == ["open": 1, "sealed": 2, "failed": 0, "purged": 1])
        #expect(stats.sealedBytes == 2 * 1234)
        #expect(stats.droppedBytes == 3 * 1234)
        #expect(stats.offers == ["pending": 0, "offered": 0, "accepted": 0, "declined": 1, "delivered": 2, "failed": 1,
                               "withdrawn": 1])
        #expect(stats.deliveries == 2)
    }

    @Test func relayShareCountsOnlyDeliveredOffers() throws {
        let directory = try TemporaryDirectory()
        let (catalogue, _) = try history(in: directory)
        let relay = try catalogue.stats().relay
        // bob's 500 bytes of the failed batch 3 delivered nothing.
        #expect(relay == RelayShare(serverBytes: 1234 + 100, peerBytes: 1234))
        #expect(abs(relay.peerFraction - 1234.0 / 2568.0) < 1e-12)
        #expect(RelayShare(serverBytes: 0, peerBytes: 0).peerFraction == 0)
    }

    @Test func lastDayWindowEndsAtTheGivenTime() throws {
        let directory = try TemporaryDirectory()
        let (catalogue, start) = try history(in: directory)
        #expect(try catalogue.stats(now: start + 60).droppedBytesLastDay == 3 * 1234)
        #expect(try catalogue.stats(now: start + 86_400 - 60).droppedBytesLastDay == 3 * 1234)
        #expect(try catalogue.stats(now: start + 2 * 86_400).droppedBytesLastDay == 0)
        #expect(try catalogue.stats(now: start + 2 * 86_400).droppedBytes == 3 * 1234)
    }

    @Test func everyTargetHasItsTopicsOffersBytesAndLastDelivery() throws {
        let directory = try TemporaryDirectory()
        let (catalogue, start) = try history(in: directory)
        let targets = try catalogue.stats().targets
        #expect(targets.map(\.user) == ["bob", "carol", "dave"])
        let bob = targets[0], carol = targets[1], dave = targets[2]
        #expect(bob.topics == 1)
        #expect(bob.offers == ["pending": 0, "offered": 0, "accepted": 0, "declined": 1, "delivered": 1, "failed": 1,
                             "withdrawn": 0])
        #expect(bob.receivedBytes == 1234 + 500)
        let delivered = try #require(bob.lastDeliveryAt)
        #expect(delivered >= start && delivered <= Int64(Date().timeIntervalSince1970))
        #expect(carol.offers == ["pending": 0, "offered": 0, "accepted": 0, "declined": 0, "delivered": 1, "failed": 0,
                               "withdrawn": 1])
        #expect(carol.receivedBytes == 1334)
        #expect(carol.lastDeliveryAt != nil)
        #expect(dave == TargetStats(user: "dave", topics: 0,
                                    offers: ["pending": 0, "offered": 0, "accepted": 0, "declined": 0, "delivered": 0, "failed": 0,
                                             "withdrawn": 0],
                                    receivedBytes: 0, lastDeliveryAt: nil))
    }

    @Test func emptyCatalogueHasEveryKeyAtZero() throws {
        let directory = try TemporaryDirectory()
        let stats = try directory.catalogue().stats()
        #expect(stats.droppedBytes == 0 && stats.droppedBytesLastDay == 0 && stats.deliveries == 0)
        #expect(stats.relay == RelayShare(serverBytes: 0, peerBytes: 0))
        #expect(stats.targets.isEmpty)
        #expect(stats.offers.count == OfferState.allCases.count)
    }
}
