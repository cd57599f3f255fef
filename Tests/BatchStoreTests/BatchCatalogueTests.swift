import BatchCore
import BatchStore
import Foundation
import Testing

@Suite struct BatchCatalogueTests {
    @Test func sealingOffersItToThousandsOfSubscribersInTheirOrder() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        let many = (1...1500).map { "t\($0)" }
        for (index, name) in many.enumerated() {
            try catalogue.addUser(name: name, role: .target, keys: [sampleKey(100 + index)])
        }
        try catalogue.addTopic("fleet")
        try catalogue.subscribe(topic: "fleet", users: many)
        let id = try catalogue.openBatch(source: "alice", destination: .topic("fleet"))
        let recipients = try catalogue.sealBatch(id: id, archivePath: "/a/\(id).tar.gz", summary: sampleSeal, files: sampleFiles)
        #expect(Set(recipients) == Set(many))
        let detail = try #require(try catalogue.batch(id: id))
        #expect(detail.targets.map(\.user) == recipients)
        #expect(detail.targets.allSatisfy { $0.state == .pending })
        let events = try catalogue.offerEvents(batch: id)
        #expect(events.map(\.target) == recipients)
        #expect(events.allSatisfy { $0.event == .pending })
        #expect(try catalogue.waitingOffers(target: "t1500") == [id])
        #expect(try catalogue.waitingOffers(target: "bob").isEmpty)
        // An offer needs the batch, not its 1,500 offers.
        let bare = try #require(try catalogue.batch(id: id, targets: false))
        #expect(bare.targets.isEmpty)
        #expect(bare.files == detail.files && bare.sha256 == detail.sha256 && bare.pieceCount == detail.pieceCount)
        #expect(bare.state == .sealed && bare.size == detail.size && bare.pieceSize == detail.pieceSize)
    }

    @Test func sealingATopicBatchOffersItToEverySubscriber() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        let id = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
        #expect(try catalogue.batch(id: id)?.state == .open)
        let recipients = try catalogue.sealBatch(id: id, archivePath: "/a/\(id).tar.gz", summary: sampleSeal, files: sampleFiles)
        #expect(recipients == ["bob", "carol"])
        let detail = try #require(try catalogue.batch(id: id))
        #expect(detail.state == .sealed)
        #expect(detail.topic == "ops")
        #expect(detail.destination == "ops")
        #expect(detail.size == 1234)
        #expect(detail.archive == "/a/\(id).tar.gz")
        #expect(detail.pieceSize == 1024)
        #expect(detail.pieceCount == 2)
        #expect(detail.sealedAt != nil)
        #expect(detail.files == sampleFiles)
        #expect(detail.targets.map(\.user) == ["bob", "carol"])
        #expect(detail.targets.allSatisfy { $0.state == .pending && $0.reason == nil && $0.receivedFrom.isEmpty })
        #expect(try catalogue.pieces(batch: id) == ["p0", "p1"])
        let events = try catalogue.offerEvents(batch: id)
        #expect(events.map(\.target) == ["bob", "carol"])
        #expect(events.allSatisfy { $0.event == .pending })
        #expect(try catalogue.waitingOffers(target: "bob") == [id])
    }

    @Test func sealingAUserBatchOffersItToTheNamedUsers() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        let id = try catalogue.openBatch(source: "alice", destination: .users(["carol"]))
        try catalogue.sealBatch(id: id, archivePath: "/a/x.tar.gz", summary: sampleSeal, files: sampleFiles)
        let detail = try #require(try catalogue.batch(id: id))
        #expect(detail.topic == nil)
        #expect(detail.destination == "@carol")
        #expect(detail.targets.map(\.user) == ["carol"])
        #expect(try catalogue.waitingOffers(target: "bob") == [])
    }

    @Test func openingToABadDestinationIsRefused() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        #expect(throws: StoreError.unknownTopic("dev")) { try catalogue.openBatch(source: "alice", destination: .topic("dev")) }
        #expect(throws: StoreError.notATarget("alice", .source)) {
            try catalogue.openBatch(source: "alice", destination: .users(["alice"]))
        }
        #expect(try catalogue.batches().isEmpty)
    }

    @Test func subscribersAreResolvedAtSealTimeNotOpenTime() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        let id = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
        try catalogue.unsubscribe(topic: "ops", users: ["carol"])
        #expect(try catalogue.sealBatch(id: id, archivePath: "/a", summary: sampleSeal, files: []) == ["bob"])
    }

    @Test func onlyAnOpenBatchCanBeSealedOrDiscarded() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        let id = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
        try catalogue.sealBatch(id: id, archivePath: "/a", summary: sampleSeal, files: sampleFiles)
        #expect(throws: StoreError.wrongBatchState(id: id, state: .sealed, operation: "seal")) {
            try catalogue.sealBatch(id: id, archivePath: "/a", summary: sampleSeal, files: sampleFiles)
        }
        #expect(throws: StoreError.wrongBatchState(id: id, state: .sealed, operation: "discard")) {
            try catalogue.discardBatch(id: id)
        }
        #expect(throws: StoreError.unknownBatch(99)) { try catalogue.sealBatch(id: 99, archivePath: "/a", summary: sampleSeal, files: []) }
    }

    @Test func discardedBatchLeavesNoTrace() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        let id = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
        try catalogue.discardBatch(id: id)
        #expect(try catalogue.batch(id: id) == nil)
        #expect(try catalogue.batches().isEmpty)
    }

    @Test func failingASealedBatchFailsItsUnresolvedOffers() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        let id = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
        try catalogue.sealBatch(id: id, archivePath: "/a", summary: sampleSeal, files: sampleFiles)
        try catalogue.updateOffer(batch: id, target: "bob", state: .declined, detail: "disk full")
        try catalogue.failBatch(id: id, reason: "archive lost")
        let detail = try #require(try catalogue.batch(id: id))
        #expect(detail.state == .failed)
        #expect(detail.failure == "archive lost")
        #expect(detail.targets == [
            .init(user: "bob", state: .declined, reason: "disk full", receivedFrom: [:]),
            .init(user: "carol", state: .failed, reason: "archive lost", receivedFrom: [:]),
        ])
        #expect(throws: StoreError.wrongBatchState(id: id, state: .failed, operation: "fail")) {
            try catalogue.failBatch(id: id, reason: "again")
        }
    }

    @Test func batchListIsNewestFirstAndFiltersBySource() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        try catalogue.addUser(name: "erin", role: .source, keys: [sampleKey(7)])
        let a = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
        try catalogue.sealBatch(id: a, archivePath: "/a", summary: sampleSeal, files: sampleFiles)
        let e = try catalogue.openBatch(source: "erin", destination: .users(["bob"]))
        #expect(try catalogue.batches().map(\.id) == [e, a])
        let mine = try catalogue.batches(source: "alice")
        #expect(mine.map(\.id) == [a])
        #expect(mine.first?.fileCount == 2)
        #expect(mine.first?.targets == [.init(user: "bob", state: .pending), .init(user: "carol", state: .pending)])
        #expect(mine.first?.size == 1234)
    }

    @Test func purgingReturnsTheArchiveAndWithdrawsWaitingOffers() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        let id = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
        #expect(throws: StoreError.wrongBatchState(id: id, state: .open, operation: "purge")) {
            try catalogue.purgeBatch(id: id, reason: "test")
        }
        try catalogue.sealBatch(id: id, archivePath: "/a/1.tar.gz", summary: sampleSeal, files: sampleFiles)
        try catalogue.updateOffer(batch: id, target: "bob", state: .delivered, detail: "server")
        let purged = try catalogue.purgeBatch(id: id, reason: "purged by an admin")
        #expect(purged == PurgedBatch(id: id, archive: "/a/1.tar.gz", withdrawnFrom: ["carol"]))
        let detail = try #require(try catalogue.batch(id: id))
        #expect(detail.state == .purged)
        #expect(detail.archive == nil)
        #expect(detail.failure == "purged by an admin")
        #expect(detail.purgedAt != nil)
        #expect(detail.targets.map(\.state) == [.delivered, .withdrawn])
        #expect(detail.targets.last?.reason == "batch purged: purged by an admin")
        #expect(throws: StoreError.wrongBatchState(id: id, state: .purged, operation: "purge")) {
            try catalogue.purgeBatch(id: id, reason: "test")
        }
        #expect(throws: StoreError.unknownBatch(404)) { try catalogue.purgeBatch(id: 404, reason: "test") }
    }

    @Test func aBatchBeingDeliveredIsPurgedOnlyWhenForced() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        let id = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
        try catalogue.sealBatch(id: id, archivePath: "/a/1.tar.gz", summary: sampleSeal, files: sampleFiles)
        try catalogue.updateOffer(batch: id, target: "bob", state: .accepted)
        #expect(throws: StoreError.beingDelivered(id: id, targets: ["bob"])) {
            try catalogue.purgeBatch(id: id, reason: "expired")
        }
        #expect(try catalogue.batch(id: id)?.state == .sealed)
        let purged = try catalogue.purgeBatch(id: id, reason: "purged by an admin", force: true)
        #expect(purged.withdrawnFrom == ["bob", "carol"])
        #expect(try catalogue.batch(id: id)?.targets.map(\.state) == [.withdrawn, .withdrawn])
    }

    @Test func expiredBatchesFollowEachTopicsRetention() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        let ops = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
        try catalogue.sealBatch(id: ops, archivePath: "/a/1", summary: sampleSeal, files: sampleFiles)
        let direct = try catalogue.openBatch(source: "alice", destination: .users(["bob"]))
        try catalogue.sealBatch(id: direct, archivePath: "/a/2", summary: sampleSeal, files: sampleFiles)
        let open = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
        let sealedAt = try #require(try catalogue.batch(id: ops)?.sealedAt)

        let opsOnly: (String?) -> Int? = { $0 == "ops" ? 60 : nil }
        #expect(try catalogue.expiredBatches(now: sealedAt + 59, retention: opsOnly).isEmpty)
        #expect(try catalogue.expiredBatches(now: sealedAt + 60, retention: opsOnly)
            == [ExpiredBatch(id: ops, topic: "ops", sealedAt: sealedAt, retention: 60)])
        let everything = try catalogue.expiredBatches(now: sealedAt + 3600) { _ in 10 }
        #expect(everything.map(\.id) == [ops, direct])
        #expect(!everything.map(\.id).contains(open))
    }

    @Test func droppedBytesCountSealedAndPurgedBatchesOfOneSourceAndTopic() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        let total = sampleFiles.reduce(0) { $0 + $1.size }
        let a = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
        try catalogue.sealBatch(id: a, archivePath: "/a/1", summary: sampleSeal, files: sampleFiles)
        let b = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
        try catalogue.sealBatch(id: b, archivePath: "/a/2", summary: sampleSeal, files: sampleFiles)
        _ = try catalogue.purgeBatch(id: b, reason: "test")
        let failed = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
        try catalogue.failBatch(id: failed, reason: "test")
        let direct = try catalogue.openBatch(source: "alice", destination: .users(["bob"]))
        try catalogue.sealBatch(id: direct, archivePath: "/a/3", summary: sampleSeal, files: sampleFiles)

        #expect(try catalogue.droppedBytes(source: "alice", topic: "ops", since: 0) == 2 * total)
        #expect(try catalogue.droppedBytes(source: "alice", topic: nil, since: 0) == total)
        #expect(try catalogue.droppedBytes(source: "erin", topic: "ops", since: 0) == 0)
        #expect(try catalogue.droppedBytes(source: "alice", topic: "ops", since: Int64(Date().timeIntervalSince1970) + 10) == 0)
    }

    @Test func offerUpdatesAreRecordedInOrderAndBytesAddUp() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        let id = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
        try catalogue.sealBatch(id: id, archivePath: "/a", summary: sampleSeal, files: sampleFiles)
        try catalogue.updateOffer(batch: id, target: "bob", state: .offered)
        try catalogue.updateOffer(batch: id, target: "bob", state: .accepted)
        try catalogue.addReceivedBytes(batch: id, target: "bob", source: "server", bytes: 1000)
        try catalogue.addReceivedBytes(batch: id, target: "bob", source: "server", bytes: 200)
        try catalogue.addReceivedBytes(batch: id, target: "bob", source: "carol", bytes: 34)
        try catalogue.updateOffer(batch: id, target: "bob", state: .delivered, detail: "server")
        let events = try catalogue.offerEvents(batch: id)
        #expect(events.filter { $0.target == "bob" }.map(\.event) == [.pending, .offered, .accepted, .delivered])
        let lastSeen = try #require(events.dropLast().last?.id)
        #expect(try catalogue.offerEvents(batch: id, after: lastSeen).map(\.event) == [.delivered])
        let bob = try #require(try catalogue.batch(id: id)?.targets.first)
        #expect(bob.state == .delivered)
        #expect(bob.reason == nil)
        #expect(bob.receivedFrom == ["server": 1200, "carol": 34])
        #expect(throws: StoreError.unknownOffer(batch: id, target: "root")) {
            try catalogue.updateOffer(batch: id, target: "root", state: .offered)
        }
        #expect(throws: StoreError.unknownOffer(batch: id, target: "root")) {
            try catalogue.addReceivedBytes(batch: id, target: "root", source: "server", bytes: 1)
        }
    }

    @Test func linkSamplesComeBackNewestFirst() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try directory.catalogue()
        try catalogue.addLinkSample(LinkSample(from: "server", to: "bob", throughputBps: 1e6, rttMs: 2, at: 100))
        try catalogue.addLinkSample(LinkSample(from: "server", to: "bob", throughputBps: 2e6, rttMs: 3, at: 200))
        try catalogue.addLinkSample(LinkSample(from: "bob", to: "carol", throughputBps: 5e6, rttMs: 1, at: 150))
        let samples = try catalogue.linkSamples(from: "server", to: "bob")
        #expect(samples.map(\.at) == [200, 100])
        #expect(try catalogue.linkSamples(from: "server", to: "bob", limit: 1).map(\.throughputBps) == [2e6])
    }
}
