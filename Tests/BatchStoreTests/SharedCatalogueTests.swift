import BatchCore
import BatchStore
import Dispatch
import Foundation
import Testing

@Suite struct SharedCatalogueTests {
    @Test func twoCataloguesOnOneFileSeeEachOthersWrites() throws {
        let directory = try TemporaryDirectory()
        let server = try directory.catalogue()
        let admin = try directory.catalogue()
        try admin.addUser(name: "bob", role: .target, keys: [sampleKey(1)])
        try admin.addTopic("ops")
        try admin.subscribe(topic: "ops", users: ["bob"])
        #expect(try server.recipients(of: .topic("ops")) == ["bob"])
        #expect(try server.access()["bob"]?.keys == [sampleKey(1).base64])
        try admin.revokeKey("SHA256:fp1")
        #expect(try server.access()["bob"]?.keys == [])
    }

    @Test func concurrentWritersFromTwoCataloguesAllSucceed() throws {
        let directory = try TemporaryDirectory()
        let first = try directory.catalogue()
        let second = try directory.catalogue()
        try first.addUser(name: "bob", role: .target, keys: [])
        try first.addTopic("ops")
        try first.subscribe(topic: "ops", users: ["bob"])
        let catalogues = [first, second]
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: 40) { i in
            do {
                let catalogue = catalogues[i % 2]
                let id = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
                try catalogue.sealBatch(id: id, archivePath: "/a/\(id)", summary: sampleSeal, files: sampleFiles)
                _ = try catalogue.batches()
            } catch {
                failures.append("\(error)")
            }
        }
        #expect(failures.all == [])
        #expect(try second.stats().batches["sealed"] == 40)
        #expect(try first.stats().offers["pending"] == 40)
    }
}

/// Errors collected from concurrent work; the lock guards `items`.
private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []

    func append(_ item: String) {
        lock.lock()
        defer { lock.unlock() }
        items.append(item)
    }

    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }
}
