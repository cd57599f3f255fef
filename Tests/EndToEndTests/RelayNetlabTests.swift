import Foundation
import Testing

/// Relays on real capped links: the server in one network namespace, each
/// target in its own, every link held to the same rate, so a target that
/// fetched from the server instead of a peer shows in the server's egress.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct RelayNetlabTests {
    private static let targets = ["bob", "carol", "dave"]
    private static let port = 2222
    private static let peerPort = 2300

    @Test func threeTargetsOnCappedLinksGetByteIdenticalArchivesMostlyFromPeers() throws {
        let lab = try Netlab(hosts: 4, rate: "50mbit")
        defer { lab.down() }
        let server = try TestServer()
        defer { server.stop() }
        let alice = try server.addUser("alice", role: "source")
        var keys: [String: String] = [:]
        for name in Self.targets { keys[name] = try server.addUser(name, role: "target") }
        try server.batchctl(["topic", "add", "ops"]).expectSuccess()
        try server.batchctl(["topic", "subscribe", "ops"] + Self.targets).expectSuccess()

        let serverAddress = "\(lab.address(0)):\(Self.port)"
        let config = server.directory.appendingPathComponent("batchd-netlab.conf")
        try """
            ListenAddress \(serverAddress)
            StateDirectory \(server.stateDirectory)
            HostKey \(server.hostKeyPath)
            LoginGraceTime 10
            PieceSize 1M
            """.write(to: config, atomically: true, encoding: .utf8)
        let batchd = try lab.start(0, [server.bin.appendingPathComponent("batchd").path, "--config", config.path],
                                   directory: server.directory)
        defer { batchd.stop() }
        try batchd.waitForLog(["address=\(serverAddress)", "listening"], timeout: 30, what: "batchd in h0")

        var receivers: [(name: String, inbox: URL, process: Netlab.Daemon)] = []
        defer { receivers.forEach { $0.process.stop() } }
        for (index, name) in Self.targets.enumerated() {
            let host = index + 1
            let inbox = server.directory.appendingPathComponent("inbox-\(name)")
            let key = try #require(keys[name])
            let process = try lab.start(host, [
                server.bin.appendingPathComponent("batchd-recv").path, "--server", serverAddress, "--user", name,
                "--identity", key, "--inbox", inbox.path,
                "--known-hosts", server.directory.appendingPathComponent("known_hosts-\(name)").path,
                "--accept-new-host-key", "--accept", "auto", "--listen", "\(lab.address(host)):\(Self.peerPort)",
            ])
            receivers.append((name, inbox, process))
        }
        for receiver in receivers {
            try receiver.process.waitForLog(["serving pieces to peers", "] subscribed"], timeout: 15,
                                            what: "batchd-recv for \(receiver.name)")
        }
        // Each subscriber's hello, naming its listener, follows its "subscribed".
        usleep(300_000)

        let payload = server.directory.appendingPathComponent("payload.bin")
        try Tree.writeRandomFile(at: payload, size: 8 << 20)
        let egressBefore = try lab.transmittedBytes(0)
        // The source drops from the server's own host, so the drop does not
        // cross the capped link whose egress is measured.
        try lab.run(0, ["scp"] + server.sshOptions + ["-P", String(Self.port), "-i", alice, payload.path,
                                                      "alice@\(lab.address(0)):ops/"], timeout: 30).expectSuccess("scp")
        // Everything each process logged, for the failure messages.
        let logs = {
            (["batchd: " + batchd.logText] + receivers.map { "\($0.name): " + $0.process.logText }).joined(separator: "\n")
        }
        let targets = try waitUntilDelivered(server, batch: 1, users: Self.targets, timeout: 20, logs: logs)
        let egress = try lab.transmittedBytes(0) - egressBefore

        let batch = try server.batch(1)
        let size = try #require(batch["size"] as? Int)
        let sha256 = try #require(batch["sha256"] as? String)
        for receiver in receivers {
            let archive = receiver.inbox.appendingPathComponent("1-ops.tar.gz").path
            let sum = try ProcessRunner.run(["sha256sum", archive])
            try sum.expectSuccess("sha256sum")
            #expect(sum.stdout.split(separator: " ").first.map(String.init) == sha256, "\(receiver.name)'s archive")
        }
        let receivedFrom = targets.mapValues { $0["received_from"] as? [String: Int] ?? [:] }
        #expect(egress < 2 * size, "the server sent \(egress) bytes for a \(size)-byte archive: \(receivedFrom)\n\(logs())")
        #expect(receivedFrom.values.contains { $0.keys.contains { $0 != "server" } },
                "no target received bytes from a peer: \(receivedFrom)\n\(logs())")
    }

    /// Polls the catalogue until every one of `users` has batch `batch`
    /// delivered; returns each target's entry by user.
    private func waitUntilDelivered(_ server: TestServer, batch: Int, users: [String], timeout: Double,
                                    logs: () -> String) throws -> [String: [String: Any]] {
        let deadline = Date().addingTimeInterval(timeout)
        var byUser: [String: [String: Any]] = [:]
        while Date() < deadline {
            let entries = try server.batch(batch)["targets"] as? [[String: Any]] ?? []
            byUser = Dictionary(entries.map { ($0["user"] as? String ?? "", $0) }) { first, _ in first }
            if users.allSatisfy({ byUser[$0]?["state"] as? String == "delivered" }) { return byUser }
            if let failed = users.first(where: { byUser[$0]?["state"] as? String == "failed" }) {
                throw TestFailure("batch \(batch) failed for \(failed): \(byUser[failed] ?? [:])\n\(logs())")
            }
            usleep(50_000)
        }
        throw TestFailure("batch \(batch) was not delivered to all of \(users) within \(timeout) s: \(byUser)\n\(logs())")
    }
}
