import Foundation
import Testing

/// `batchctl stats` after real drops and deliveries: the deliveries, the
/// relay share and each target's state match what the batches record.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct StatsTests {
    private func stats(_ server: TestServer) throws -> [String: Any] {
        let result = try server.batchctl(["stats", "--json"])
        try result.expectSuccess("stats")
        guard let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            throw TestFailure("stats did not print an object: \(result.stdout)")
        }
        return object
    }

    @Test func relayedDeliveryShowsInStats() throws {
        let server = try TestServer(extraConfig: "PieceSize 1M")
        defer { server.stop() }
        let alice = try server.addUser("alice", role: "source")
        var keys: [String: String] = [:]
        for name in ["bob", "carol", "dave", "erin"] { keys[name] = try server.addUser(name, role: "target") }
        try server.batchctl(["topic", "add", "ops"]).expectSuccess()
        try server.batchctl(["topic", "subscribe", "ops", "bob", "carol", "dave"]).expectSuccess()
        try server.start()
        let receivers = try ["bob", "carol", "dave"].map {
            try TestReceiver(server: server, user: $0, key: keys[$0]!, listen: "127.0.0.1:0")
        }
        defer { receivers.forEach { $0.stop() } }
        for receiver in receivers { _ = try receiver.listenPort() }
        usleep(300_000)
        let file = server.directory.appendingPathComponent("payload.bin")
        try Tree.writeRandomFile(at: file, size: 12_000_000)
        try server.scp([file.path, "alice@127.0.0.1:ops/"], key: alice).expectSuccess("scp")

        // Wait for the three deliveries as the batch records them.
        var targets: [[String: Any]] = []
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline {
            targets = (try server.batch(1)["targets"] as? [[String: Any]]) ?? []
            if targets.filter({ $0["state"] as? String == "delivered" }).count == 3 { break }
            usleep(100_000)
        }
        let receivedFrom = Dictionary(uniqueKeysWithValues: targets.compactMap { target in
            (target["user"] as? String).map { ($0, target["received_from"] as? [String: Int] ?? [:]) }
        })
        let logs = receivers.map { "\($0.user):\n\($0.logText)" }.joined(separator: "\n")
        try #require(receivedFrom.count == 3 && targets.allSatisfy { $0["state"] as? String == "delivered" },
                     "not delivered: \(targets)\n\(logs)")
        let size = try #require(try server.batch(1)["size"] as? Int)
        let fromServer = receivedFrom.values.reduce(0) { $0 + ($1["server"] ?? 0) }
        let fromPeers = receivedFrom.values.reduce(0) { $0 + $1.filter { $0.key != "server" }.values.reduce(0, +) }

        let stats = try stats(server)
        #expect(stats["deliveries"] as? Int == 3)
        #expect((stats["offers"] as? [String: Int])?["delivered"] == 3)
        #expect(stats["sealed_bytes"] as? Int == size)
        #expect(stats["dropped_bytes"] as? Int == size)
        #expect(stats["dropped_bytes_24h"] as? Int == size)
        let relay = try #require(stats["relay"] as? [String: Any])
        #expect(relay["server_bytes"] as? Int == fromServer)
        #expect(relay["peer_bytes"] as? Int == fromPeers)
        // Three copies went out; the relays carried some of them.
        #expect(fromServer + fromPeers >= 3 * size)
        #expect(fromPeers > 0, "no relay: \(receivedFrom)\n\(logs)")
        let fraction = try #require(relay["peer_fraction"] as? Double)
        #expect(abs(fraction - Double(fromPeers) / Double(fromServer + fromPeers)) < 1e-9)

        let perTarget = try #require(stats["targets"] as? [[String: Any]])
        #expect(perTarget.map { $0["user"] as? String } == ["bob", "carol", "dave", "erin"])
        for target in perTarget {
            let user = target["user"] as? String ?? ""
            let offers = target["offers"] as? [String: Int] ?? [:]
            if user == "erin" {
                #expect(target["topics"] as? Int == 0)
                #expect(offers.values.allSatisfy { $0 == 0 })
                #expect(target["received_bytes"] as? Int == 0)
                #expect(target["last_delivery_at"] is NSNull)
                continue
            }
            #expect(target["topics"] as? Int == 1)
            #expect(offers["delivered"] == 1, "\(user): \(offers)")
            #expect(target["received_bytes"] as? Int == receivedFrom[user]?.values.reduce(0, +), "\(user)")
            let at = try #require(target["last_delivery_at"] as? Int)
            #expect(abs(Double(at) - Date().timeIntervalSince1970) < 300)
        }

        let text = try server.batchctl(["stats"])
        try text.expectSuccess("stats")
        #expect(text.stdout.contains("\ndeliveries: 3\n"))
        #expect(text.stdout.contains("\nrelay share: \(fromServer) bytes from the server, \(fromPeers) from peers ("))
        #expect(text.stdout.contains("\ntargets (4):\n"))
    }
}
