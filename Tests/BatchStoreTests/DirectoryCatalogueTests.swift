import BatchCore
import BatchStore
import Foundation
import Testing

/// The directory a server keeps in memory: its version moves with every
/// change to users, keys, topics or subscriptions, by any process, and it
/// resolves destinations as the catalogue does.
@Suite struct DirectoryCatalogueTests {
    @Test func everyKindOfChangeByAnotherProcessMovesTheVersion() throws {
        let directory = try TemporaryDirectory()
        let server = try populatedCatalogue(in: directory)
        let admin = try directory.catalogue()
        var seen = try server.directoryVersion()
        let changes: [(String, () throws -> Void)] = [
            ("user added", { try admin.addUser(name: "dave", role: .target, keys: []) }),
            ("key added", { try admin.addKey(user: "dave", key: sampleKey(9)) }),
            ("key revoked", { _ = try admin.revokeKey("SHA256:fp9") }),
            ("topic added", { try admin.addTopic("reports") }),
            ("subscribed", { try admin.subscribe(topic: "reports", users: ["dave"]) }),
            ("unsubscribed", { try admin.unsubscribe(topic: "reports", users: ["dave"]) }),
            ("topic removed", { try admin.removeTopic("reports") }),
            ("user removed", { try admin.removeUser(name: "dave") }),
        ]
        for (change, make) in changes {
            try make()
            let now = try server.directoryVersion()
            #expect(now != seen, "\(change) left the directory version at \(now)")
            #expect(try server.directory().version == now)
            seen = now
        }
        // Batches and offers are not the directory's business.
        let id = try server.openBatch(source: "alice", destination: .topic("ops"))
        try server.sealBatch(id: id, archivePath: "/a/\(id).tar.gz", summary: sampleSeal, files: sampleFiles)
        #expect(try server.directoryVersion() == seen)
    }

    @Test func theDirectoryHoldsUsersKeysTopicsAndSubscribers() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        try catalogue.addTopic("empty")
        let view = try catalogue.directory()
        #expect(view.users["alice"] == UserAccess(role: .source, keys: [sampleKey(1).base64]))
        #expect(view.users["root"]?.role == .admin)
        #expect(view.topics == ["ops": ["bob", "carol"], "empty": []])
        #expect(view.topicNames == ["empty", "ops"])
        #expect(view.topics(subscribedBy: ["carol", "nobody"]) == ["ops"])
        #expect(view.topics(subscribedBy: ["alice"]) == [])
    }

    @Test(arguments: [
        Destination.topic("ops"), .topic("empty"), .topic("missing"), .users(["carol", "bob", "carol"]),
        .users(["bob", "alice"]), .users(["bob", "nobody"]), .users(["root"]),
    ])
    func destinationsResolveAsTheCatalogueResolvesThem(_ destination: Destination) throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        try catalogue.addTopic("empty")
        let view = try catalogue.directory()
        let fromCatalogue = Result { () throws(StoreError) in try catalogue.recipients(of: destination) }
        let fromView = Result { () throws(StoreError) in try view.recipients(of: destination) }
        switch (fromCatalogue, fromView) {
        case (.success(let expected), .success(let got)):
            #expect(got == expected)
        case (.failure(let expected), .failure(let got)):
            #expect(got.description == expected.description)
        default:
            Issue.record("the catalogue gave \(fromCatalogue), the directory \(fromView)")
        }
    }

    @Test func idsHandedOutAfterTheLastOneAreFreeEvenPastDiscardedBatches() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        #expect(try catalogue.lastBatchID() == 0)
        let first = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
        let second = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
        try catalogue.discardBatch(id: second)
        #expect(try catalogue.lastBatchID() == second)
        let given = try catalogue.openBatch(id: second + 5, source: "alice", destination: .topic("ops"))
        #expect(given == second + 5)
        #expect(try catalogue.lastBatchID() == second + 5)
        #expect(try catalogue.openBatch(source: "alice", destination: .topic("ops")) == second + 6)
        #expect(throws: StoreError.self) { try catalogue.openBatch(id: first, source: "alice", destination: .topic("ops")) }
        #expect(throws: StoreError.self) { try catalogue.openBatch(id: 99, source: "alice", destination: .topic("missing")) }
    }

    @Test func dropsSinceCountWhatDroppedBytesCounts() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        let sealed = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
        try catalogue.sealBatch(id: sealed, archivePath: "/a/1.tar.gz", summary: sampleSeal, files: sampleFiles)
        let named = try catalogue.openBatch(source: "alice", destination: .users(["bob"]))
        try catalogue.sealBatch(id: named, archivePath: "/a/2.tar.gz", summary: sampleSeal, files: Array(sampleFiles.prefix(1)))
        let failed = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
        try catalogue.failBatch(id: failed, reason: "test")
        _ = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
        let drops = try catalogue.drops(since: 0)
        #expect(drops.map(\.topic) == ["ops", nil])
        #expect(drops.map(\.bytes) == [1200, 1000])
        #expect(drops.allSatisfy { $0.source == "alice" && $0.sealedAt > 0 })
        #expect(drops.first?.bytes == (try catalogue.droppedBytes(source: "alice", topic: "ops", since: 0)))
        #expect(try catalogue.drops(since: Int64(Date().timeIntervalSince1970) + 10).isEmpty)
    }
}
