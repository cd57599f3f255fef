import BatchCore
import BatchServer
import BatchStore
import Foundation
import Testing

/// `batchctl stats`: the figures an operator expects, as a table and as
/// JSON with stable keys.
@Suite struct StatsCommandTests {
    /// Batch 1 (2000 bytes) to ops: bob from the server, carol from bob;
    /// batch 2 (500 bytes) to @carol, still offered. dave is on no topic.
    private func harnessWithDeliveries() throws -> AdminHarness {
        let harness = try AdminHarness()
        let catalogue = try harness.catalogue()
        try catalogue.addUser(name: "alice", role: .source, keys: [])
        for name in ["bob", "carol", "dave"] { try catalogue.addUser(name: name, role: .target, keys: []) }
        try catalogue.addTopic("ops")
        try catalogue.subscribe(topic: "ops", users: ["bob", "carol"])
        let first = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
        try catalogue.sealBatch(id: first, archivePath: "/a/1", summary: SealInfo(size: 2000, sha256: "", pieceSize: 1000, pieces: []),
                                files: [])
        try catalogue.addReceivedBytes(batch: first, target: "bob", source: "server", bytes: 2000)
        try catalogue.updateOffer(batch: first, target: "bob", state: .delivered)
        try catalogue.addReceivedBytes(batch: first, target: "carol", source: "bob", bytes: 2000)
        try catalogue.updateOffer(batch: first, target: "carol", state: .delivered)
        let second = try catalogue.openBatch(source: "alice", destination: .users(["carol"]))
        try catalogue.sealBatch(id: second, archivePath: "/a/2", summary: SealInfo(size: 500, sha256: "", pieceSize: 1000, pieces: []),
                                files: [])
        try catalogue.markOffered(batch: second, target: "carol")
        return harness
    }

    private func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func jsonHasBytesDeliveriesRelayShareAndTargets() throws {
        let harness = try harnessWithDeliveries()
        let result = harness.run(["stats", "--json"])
        #expect(result.status == 0, "\(result.errors)")
        let stats = try json(result.output)
        #expect(stats["sealed_bytes"] as? Int == 2500)
        #expect(stats["dropped_bytes"] as? Int == 2500)
        #expect(stats["dropped_bytes_24h"] as? Int == 2500)
        #expect(stats["deliveries"] as? Int == 2)
        #expect(stats["offers"] as? [String: Int] == ["pending": 0, "offered": 1, "accepted": 0, "declined": 0, "delivered": 2, "failed": 0, "withdrawn": 0])
        let relay = try #require(stats["relay"] as? [String: Any])
        #expect(relay["server_bytes"] as? Int == 2000)
        #expect(relay["peer_bytes"] as? Int == 2000)
        #expect(relay["peer_fraction"] as? Double == 0.5)
        let targets = try #require(stats["targets"] as? [[String: Any]])
        #expect(targets.map { $0["user"] as? String } == ["bob", "carol", "dave"])
        #expect(targets.map { Set($0.keys) }.allSatisfy { $0 == ["user", "topics", "offers", "received_bytes", "last_delivery_at"] })
        #expect(targets.map { $0["topics"] as? Int } == [1, 1, 0])
        #expect(targets.map { $0["received_bytes"] as? Int } == [2000, 2000, 0])
        #expect((targets[1]["offers"] as? [String: Int])?["offered"] == 1)
        #expect(targets[0]["last_delivery_at"] is Int)
        #expect(targets[2]["last_delivery_at"] is NSNull)
    }

    @Test func tableShowsTheSameFigures() throws {
        let harness = try harnessWithDeliveries()
        let result = harness.run(["stats"])
        #expect(result.status == 0, "\(result.errors)")
        let lines = result.output.split(separator: "\n").map(String.init)
        #expect(lines.prefix(9) == [
            "users: 1 source, 3 target, 0 admin",
            "topics: 1",
            "batches: 0 open, 2 sealed, 0 failed, 0 purged",
            "sealed bytes: 2500 (2.5 KB)",
            "dropped bytes: 2500 (2.5 KB) in all, 2500 (2.5 KB) in the last 24 h",
            "offers: 0 pending, 1 offered, 0 accepted, 0 declined, 2 delivered, 0 failed, 0 withdrawn",
            "deliveries: 2",
            "relay share: 2000 bytes from the server, 2000 from peers (50.0% relayed)",
            "targets (3):",
        ])
        #expect(lines[9].split(separator: " ", omittingEmptySubsequences: true) == [
            "USER", "TOPICS", "PENDING", "OFFERED", "ACCEPTED", "DECLINED", "DELIVERED", "FAILED", "WITHDRAWN", "RECEIVED", "LAST", "DELIVERY",
        ])
        let bob = lines[10].split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        #expect(bob.prefix(10) == ["bob", "1", "0", "0", "0", "0", "1", "0", "0", "2000"])
        #expect(bob.last?.hasSuffix("Z") == true)
        let dave = lines[12].split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        #expect(dave == ["dave", "0", "0", "0", "0", "0", "0", "0", "0", "0", "-"])
        #expect(lines.count == 13)
    }
}
