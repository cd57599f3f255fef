import Foundation
import Testing

/// With several takers the server sends one copy; targets fetch the rest
/// from each other over SSH, and a peer serves only whom the server vouched
/// for, only the batches it granted.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct RelayTests {
    private func makeServer(pieceSize: String = "1M") throws -> (TestServer, alice: String, keys: [String: String]) {
        let server = try TestServer(extraConfig: "PieceSize \(pieceSize)")
        let alice = try server.addUser("alice", role: "source")
        var keys: [String: String] = [:]
        for name in ["bob", "carol", "dave", "erin"] { keys[name] = try server.addUser(name, role: "target") }
        try server.batchctl(["topic", "add", "ops"]).expectSuccess()
        try server.batchctl(["topic", "subscribe", "ops", "bob", "carol", "dave"]).expectSuccess()
        try server.start()
        return (server, alice, keys)
    }

    private func drop(_ server: TestServer, key: String, size: Int, to destination: String = "ops/") throws {
        let file = server.directory.appendingPathComponent("payload-\(UUID().uuidString).bin")
        try Tree.writeRandomFile(at: file, size: size)
        try server.scp([file.path, "alice@127.0.0.1:\(destination)"], key: key).expectSuccess("scp")
    }

    private func waitForDelivered(_ server: TestServer, batch: Int, users: [String]) throws -> [String: [String: Int]] {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let targets = (try server.batch(batch)["targets"] as? [[String: Any]]) ?? []
            let delivered = targets.filter { $0["state"] as? String == "delivered" }
            if Set(delivered.compactMap { $0["user"] as? String }).isSuperset(of: users) {
                var result: [String: [String: Int]] = [:]
                for target in delivered {
                    result[target["user"] as? String ?? ""] = target["received_from"] as? [String: Int] ?? [:]
                }
                return result
            }
            usleep(50_000)
        }
        throw TestFailure("not all of \(users) got batch \(batch)\n\(server.logText)")
    }

    /// Receivers for `users` with peer listeners, each listening and
    /// announced to the server.
    private func listening(_ users: [String], server: TestServer, keys: [String: String]) throws -> [TestReceiver] {
        let receivers = try users.map { try TestReceiver(server: server, user: $0, key: keys[$0]!, listen: "127.0.0.1:0") }
        for receiver in receivers { _ = try receiver.listenPort() }
        usleep(300_000)
        return receivers
    }

    @Test func threeTakersCostTheServerOneCopy() throws {
        let (server, alice, keys) = try makeServer()
        defer { server.stop() }
        let receivers = try listening(["bob", "carol", "dave"], server: server, keys: keys)
        defer { receivers.forEach { $0.stop() } }
        try drop(server, key: alice, size: 24_000_000)

        let received = try waitForDelivered(server, batch: 1, users: ["bob", "carol", "dave"])
        let size = try #require(try server.batch(1)["size"] as? Int)
        let fromServer = received.values.reduce(0) { $0 + ($1["server"] ?? 0) }
        let fromPeers = received.values.reduce(0) { $0 + $1.filter { $0.key != "server" }.values.reduce(0, +) }
        let logs = receivers.map { "\($0.user):\n\($0.logText)" }.joined(separator: "\n")
        #expect(fromServer == size, "server sent \(fromServer) of \(size): \(received)\n\(logs)")
        #expect(fromPeers == 2 * size, "peers sent \(fromPeers): \(received)")
        for receiver in receivers {
            let landed = receiver.inbox.appendingPathComponent("1-ops.tar.gz").path
            let sha = try Tree.sha256(landed)
            #expect(sha == (try server.batch(1)["sha256"] as? String))
        }
        #expect(server.logText.contains("relay plan"))
    }

    @Test func peerServingCorruptPiecesIsDroppedAndTheArchiveIsStillRight() throws {
        let (server, alice, keys) = try makeServer()
        defer { server.stop() }
        let liar = try TestReceiver(server: server, user: "bob", key: keys["bob"]!, listen: "127.0.0.1:0",
                                    environment: ["BATCHD_RECV_TEST_PEER_FAULT": "corrupt"])
        defer { liar.stop() }
        _ = try liar.listenPort()
        usleep(300_000)
        try drop(server, key: alice, size: 6_000_000, to: "@bob,carol/")
        _ = try liar.waitForFile("1-from-alice.tar.gz")
        // carol comes online later: her plan sends her to bob first.
        let carol = try TestReceiver(server: server, user: "carol", key: keys["carol"]!, once: true)
        defer { carol.stop() }
        #expect(try carol.waitForExit(timeout: 60) == 0)
        #expect(carol.logText.contains("wrong SHA-256"))
        let landed = carol.inbox.appendingPathComponent("1-from-alice.tar.gz").path
        let sha = try Tree.sha256(landed)
        #expect(sha == (try server.batch(1)["sha256"] as? String))
        let received = try waitForDelivered(server, batch: 1, users: ["bob", "carol"])
        #expect(received["carol"]?["server"] == (try server.batch(1)["size"] as? Int))
        #expect(received["carol"]?["bob"] == nil)
    }

    @Test func aPeerThatTricklesAfterItsFirstPieceIsDroppedWithinSecondsAndTheServerIsTold() throws {
        let (server, alice, keys) = try makeServer()
        defer { server.stop() }
        // bob serves the first piece of each fetch, then a byte every 5 s:
        // no timeout ever fires, so without a floor carol would wait on him
        // for good.
        let staller = try TestReceiver(server: server, user: "bob", key: keys["bob"]!, listen: "127.0.0.1:0",
                                       environment: ["BATCHD_RECV_TEST_PEER_FAULT": "stall"])
        defer { staller.stop() }
        _ = try staller.listenPort()
        usleep(300_000)
        try drop(server, key: alice, size: 8_000_000, to: "@bob,carol/")
        _ = try staller.waitForFile("1-from-alice.tar.gz")
        // carol comes online later: her plan sends her to bob first.
        let started = Date()
        let carol = try TestReceiver(server: server, user: "carol", key: keys["carol"]!, once: true)
        defer { carol.stop() }
        #expect(try carol.waitForExit(timeout: 60) == 0)
        let seconds = Date().timeIntervalSince(started)
        print("a trickling peer: carol delivered \(String(format: "%.1f", seconds)) s after she started")
        #expect(seconds < 20, "\(carol.logText)")
        #expect(carol.logText.contains("peer source dropped for this batch"), "\(carol.logText)")
        #expect(carol.logText.contains("too slow"), "\(carol.logText)")
        #expect(try Tree.sha256(carol.inbox.appendingPathComponent("1-from-alice.tar.gz").path) == (try server.batch(1)["sha256"] as? String))
        let received = try waitForDelivered(server, batch: 1, users: ["bob", "carol"])
        #expect((received["carol"]?["bob"] ?? 0) <= 1 << 20, "\(received)")
        #expect((received["carol"]?["server"] ?? 0) > 0, "\(received)")
        #expect(server.logText.contains("a target dropped a peer source"), "\(server.logText.suffix(3000))")
    }

    @Test func anArchiveOfMorePiecesThanAnOfferCarriesIsRelayedWholeAndTheNextBatchFollows() throws {
        let (server, alice, keys) = try makeServer(pieceSize: "64K")
        defer { server.stop() }
        let receivers = try listening(["bob", "carol"], server: server, keys: keys)
        defer { receivers.forEach { $0.stop() } }
        let (bob, carol) = (receivers[0], receivers[1])
        // About 1,100 pieces of 64 KiB: more hashes than an offer carries
        // (1,024), so the offer leaves its list out and the takers fetch it.
        try drop(server, key: alice, size: 1100 * 65536 - 1000)
        let received = try waitForDelivered(server, batch: 1, users: ["bob", "carol"])
        let batch = try server.batch(1)
        for target in [bob, carol] {
            let landed = target.inbox.appendingPathComponent("1-ops.tar.gz").path
            #expect(try Tree.sha256(landed) == batch["sha256"] as? String)
            #expect(target.logText.contains("piece list fetched from the server"), "\(target.logText.suffix(2000))")
        }
        #expect((batch["piece_count"] as? Int ?? 0) > 1024, "\(batch)")
        #expect(received.values.contains { $0.keys.contains("bob") || $0.keys.contains("carol") }, "\(received)")
        // The list is the server's to give, on the same terms as the bytes.
        let notAccepted = try server.ssh("dave", key: keys["dave"]!, ["pieces", "1", "0", "0"])
        #expect(notAccepted.status == 1, "\(notAccepted.stderr)")
        #expect(notAccepted.stderr.contains("batch 1"), "\(notAccepted.stderr)")
        let tooMany = try server.ssh("bob", key: keys["bob"]!, ["pieces", "1", "0", "70000"])
        #expect(tooMany.status != 0 && tooMany.stderr.contains("more than 65536 hashes"), "\(tooMany.stderr)")
        let pastTheEnd = try server.ssh("bob", key: keys["bob"]!, ["pieces", "1", "5000", "5001"])
        #expect(pastTheEnd.status == 1 && pastTheEnd.stderr.contains("pieces"), "\(pastTheEnd.stderr)")
        // A peer serves pieces, never the list.
        let fromPeer = try ProcessRunner.run(["ssh"] + server.sshOptions + ["-p", String(try carol.listenPort()), "-i", keys["bob"]!,
                                                                           "bob@127.0.0.1", "pieces", "1", "0", "0"])
        #expect(fromPeer.status == 1 && fromPeer.stderr.contains("ask the server"), "\(fromPeer.stderr)")
        // The subscribers are still connected: the next batch arrives too.
        try drop(server, key: alice, size: 10_000)
        _ = try waitForDelivered(server, batch: 2, users: ["bob", "carol"])
    }

    @Test func peerRefusesAKeyTheServerDidNotVouchFor() throws {
        let (server, alice, keys) = try makeServer()
        defer { server.stop() }
        let bob = try TestReceiver(server: server, user: "bob", key: keys["bob"]!, listen: "127.0.0.1:0")
        defer { bob.stop() }
        let carol = try TestReceiver(server: server, user: "carol", key: keys["carol"]!, listen: "127.0.0.1:0")
        defer { carol.stop() }
        let carolPort = try carol.listenPort()
        _ = try bob.listenPort()
        usleep(300_000)
        try drop(server, key: alice, size: 3_000_000)
        _ = try waitForDelivered(server, batch: 1, users: ["bob", "carol"])

        // erin is a real target of the server, but not granted this batch.
        let erin = try ProcessRunner.run(["ssh"] + server.sshOptions + ["-p", String(carolPort), "-i", keys["erin"]!,
                                                                       "erin@127.0.0.1", "fetch", "1", "0", "0"])
        #expect(erin.status == 255)
        #expect(erin.stderr.contains("Permission denied"))
        // bob's key with another user's name is refused too.
        let spoof = try ProcessRunner.run(["ssh"] + server.sshOptions + ["-p", String(carolPort), "-i", keys["bob"]!,
                                                                        "dave@127.0.0.1", "fetch", "1", "0", "0"])
        #expect(spoof.status == 255)
        // bob, vouched for batch 1, gets it and nothing else.
        let granted = try ProcessRunner.run(["ssh"] + server.sshOptions + ["-p", String(carolPort), "-i", keys["bob"]!,
                                                                          "bob@127.0.0.1", "fetch", "1", "0", "0"])
        #expect(granted.status == 0)
        #expect(granted.stdout.utf8.count > 0)
        let other = try ProcessRunner.run(["ssh"] + server.sshOptions + ["-p", String(carolPort), "-i", keys["bob"]!,
                                                                        "bob@127.0.0.1", "fetch", "2", "0", "0"])
        #expect(other.status == 1)
        #expect(other.stderr.contains("was not granted"))
    }

    @Test func peerHostKeyIsPinnedFromThePlan() throws {
        let (server, alice, keys) = try makeServer()
        defer { server.stop() }
        let receivers = try listening(["bob", "carol"], server: server, keys: keys)
        defer { receivers.forEach { $0.stop() } }
        let bob = receivers[0]
        try drop(server, key: alice, size: 5_000_000)
        let received = try waitForDelivered(server, batch: 1, users: ["bob", "carol"])
        // One of them relayed to the other, with no known_hosts entry for the peer:
        // the host key came from the server's plan.
        #expect(received.values.contains { $0.keys.contains("bob") || $0.keys.contains("carol") })
        let knownHosts = try String(contentsOfFile: bob.inbox.appendingPathComponent(".batchd-recv/known_hosts").path, encoding: .utf8)
        #expect(knownHosts.split(separator: "\n").count == 1)
    }
}
