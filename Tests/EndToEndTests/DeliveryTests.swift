import Foundation
import Testing

/// Offers reach subscribed targets at once; their answers reach the
/// source; an accepted batch lands byte-identical in the target's inbox.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct DeliveryTests {
    /// Server with source alice, targets bob/carol/dave subscribed to ops.
    private func makeServer(environment: [String: String] = [:]) throws -> (TestServer, alice: String, targets: [String: String]) {
        let server = try TestServer()
        server.environment = environment
        let alice = try server.addUser("alice", role: "source")
        var keys: [String: String] = [:]
        for name in ["bob", "carol", "dave"] { keys[name] = try server.addUser(name, role: "target") }
        try server.batchctl(["topic", "add", "ops"]).expectSuccess()
        try server.batchctl(["topic", "subscribe", "ops", "bob", "carol", "dave"]).expectSuccess()
        try server.start()
        return (server, alice, keys)
    }

    private func drop(_ server: TestServer, key: String, size: Int, to destination: String = "ops/") throws -> URL {
        let folder = server.directory.appendingPathComponent("drop-\(UUID().uuidString)")
        try Tree.make(at: folder, ["notes.txt": Data("hello targets\n".utf8), "data": nil])
        try Tree.writeRandomFile(at: folder.appendingPathComponent("data/blob.bin"), size: size)
        try server.scp(["-r", folder.appendingPathComponent("data").path, folder.appendingPathComponent("notes.txt").path,
                        "alice@127.0.0.1:\(destination)"], key: key).expectSuccess("scp")
        return folder
    }

    private func waitForTargets(_ server: TestServer, batch: Int, timeout: Double = 60,
                                until done: ([String: [String: Any]]) -> Bool) throws -> [String: [String: Any]] {
        let deadline = Date().addingTimeInterval(timeout)
        var targets: [String: [String: Any]] = [:]
        while Date() < deadline {
            let list = (try server.batch(batch)["targets"] as? [[String: Any]]) ?? []
            targets = Dictionary(uniqueKeysWithValues: list.compactMap { t in (t["user"] as? String).map { ($0, t) } })
            if done(targets) { return targets }
            usleep(50_000)
        }
        throw TestFailure("targets did not settle: \(targets)\n\(server.logText)")
    }

    @Test func singleTakerGetsAByteIdenticalArchiveOnlyFromTheServer() throws {
        let (server, alice, keys) = try makeServer()
        defer { server.stop() }
        let bob = try TestReceiver(server: server, user: "bob", key: keys["bob"]!)
        defer { bob.stop() }
        let carol = try TestReceiver(server: server, user: "carol", key: keys["carol"]!, accept: "never")
        defer { carol.stop() }
        let dave = try TestReceiver(server: server, user: "dave", key: keys["dave"]!, accept: "never")
        defer { dave.stop() }
        usleep(500_000)
        _ = try drop(server, key: alice, size: 9_000_000)

        let landed = try bob.waitForFile("1-ops.tar.gz")
        let batch = try server.batch(1)
        #expect(try Tree.sha256(landed.path) == batch["sha256"] as? String)
        #expect(try Tree.sha256(landed.path) == Tree.sha256(try #require(batch["archive"] as? String)))
        let targets = try waitForTargets(server, batch: 1) { $0["bob"]?["state"] as? String == "delivered" }
        let receivedFrom = try #require(targets["bob"]?["received_from"] as? [String: Int])
        #expect(receivedFrom == ["server": batch["size"] as? Int ?? -1])
        #expect(targets["carol"]?["state"] as? String == "declined")
        // No partial file is left behind.
        let leftovers = Tree.listing(bob.inbox).filter { $0.hasSuffix(".part") }
        #expect(leftovers.isEmpty)
    }

    @Test func declineAndItsReasonReachWatchAndBatchShow() throws {
        let (server, alice, keys) = try makeServer()
        defer { server.stop() }
        let receivers = try [
            TestReceiver(server: server, user: "bob", key: keys["bob"]!),
            TestReceiver(server: server, user: "carol", key: keys["carol"]!, accept: "never"),
            TestReceiver(server: server, user: "dave", key: keys["dave"]!),
        ]
        defer { receivers.forEach { $0.stop() } }
        usleep(500_000)
        _ = try drop(server, key: alice, size: 100_000)

        let watch = try server.ssh("alice", key: alice, ["watch", "1"], timeout: 60)
        #expect(watch.status == 0, "watch: \(watch.stdout) \(watch.stderr)")
        #expect(watch.stdout.contains("carol declined: carol does not accept batches"))
        #expect(watch.stdout.contains("bob delivered from server"))
        #expect(watch.stdout.contains("dave delivered from server"))
        // batchd's own side of the offer's latency, once all three had it written.
        let written = server.logText.split(separator: "\n").first { $0.contains("offer written to every online subscriber") }
        #expect(written?.contains("written=3") == true && written?.contains("p99_ms=") == true, "\(server.logText.suffix(3000))")
        let json = try server.ssh("alice", key: alice, ["watch", "1", "--json"], timeout: 60)
        #expect(json.status == 0)
        let events = json.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(events.contains { $0["target"] as? String == "carol" && $0["event"] as? String == "declined" })
        let targets = try waitForTargets(server, batch: 1) { _ in true }
        #expect((targets["carol"]?["reason"] as? String)?.contains("--accept never") == true)
        #expect(targets["bob"]?["state"] as? String == "delivered")
    }

    @Test func aBatchOfTwentyThousandFilesReachesItsSubscriberAndSoDoesTheNext() throws {
        let (server, alice, keys) = try makeServer()
        defer { server.stop() }
        let bob = try TestReceiver(server: server, user: "bob", key: keys["bob"]!)
        defer { bob.stop() }
        // 20,000 names of about 80 bytes: an offer listing them all would
        // be about 2.4 MB, past the 1 MiB a subscriber takes.
        let folder = server.directory.appendingPathComponent("many")
        let names = (0..<20_000).map { String(format: "%05d-", $0) + String(repeating: "n", count: 74) + ".txt" }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in names { try Data("x".utf8).write(to: folder.appendingPathComponent(name)) }
        try server.scp(["-r", folder.path, "alice@127.0.0.1:@bob/"], key: alice, timeout: 300).expectSuccess("scp of 20,000 files")
        _ = try bob.waitForFile("1-from-alice.tar.gz", timeout: 120)
        #expect(bob.logText.contains("files=20000"), "\(bob.logText.suffix(2000))")
        // The subscriber is still connected: the next batch arrives too.
        _ = try drop(server, key: alice, size: 1000, to: "@bob/")
        _ = try bob.waitForFile("2-from-alice.tar.gz", timeout: 60)
    }

    @Test func targetOfflineAtSealGetsTheOfferWhenItConnects() throws {
        let (server, alice, keys) = try makeServer()
        defer { server.stop() }
        _ = try drop(server, key: alice, size: 50_000, to: "@bob/")
        try server.waitForSettledBatches(1)
        let before = try waitForTargets(server, batch: 1) { _ in true }
        #expect(before["bob"]?["state"] as? String == "pending")

        let bob = try TestReceiver(server: server, user: "bob", key: keys["bob"]!, once: true)
        defer { bob.stop() }
        #expect(try bob.waitForExit() == 0)
        let landed = bob.inbox.appendingPathComponent("1-from-alice.tar.gz")
        let expected = try server.batch(1)["sha256"] as? String
        #expect(try Tree.sha256(landed.path) == expected)
        _ = try waitForTargets(server, batch: 1) { $0["bob"]?["state"] as? String == "delivered" }
    }

    @Test func extractedFolderMatchesTheDrop() throws {
        let (server, alice, keys) = try makeServer()
        defer { server.stop() }
        let bob = try TestReceiver(server: server, user: "bob", key: keys["bob"]!, extract: true)
        defer { bob.stop() }
        usleep(500_000)
        let folder = try drop(server, key: alice, size: 300_000, to: "@bob/")
        _ = try bob.waitForFile("1-from-alice.tar.gz")
        let extracted = try bob.waitForFile("1-from-alice")
        usleep(300_000)
        #expect(try Tree.difference(folder, extracted) == nil)
    }

    /// A target that serves peers checks each piece as it arrives; one that
    /// does not takes the server's pieces on the whole archive's SHA-256,
    /// and when that fails checks each piece and fetches the bad one again.
    @Test(arguments: [false, true])
    func corruptedPieceIsRefusedAndFetchedAgain(servesPeers: Bool) throws {
        let (server, alice, keys) = try makeServer(environment: ["BATCHD_TEST_CORRUPT_PIECE": "1:1"])
        defer { server.stop() }
        _ = try drop(server, key: alice, size: 12_000_000, to: "@bob/")
        try server.waitForSettledBatches(1)
        let bob = try TestReceiver(server: server, user: "bob", key: keys["bob"]!, once: true,
                                   listen: servesPeers ? "127.0.0.1:0" : nil)
        defer { bob.stop() }
        #expect(try bob.waitForExit() == 0)
        #expect(server.logText.contains("test fault: serving a corrupted piece"))
        if servesPeers {
            #expect(bob.logText.contains("pieces refused: wrong SHA-256"))
            #expect(!bob.logText.contains("the archive's SHA-256 did not match"))
        } else {
            #expect(bob.logText.contains("the archive's SHA-256 did not match; fetching the pieces that fail their own hashes again"))
            #expect(bob.logText.contains("pieces=[1]"))
            #expect(!bob.logText.contains("pieces refused"))
        }
        let landed = bob.inbox.appendingPathComponent("1-from-alice.tar.gz")
        let expected = try server.batch(1)["sha256"] as? String
        #expect(try Tree.sha256(landed.path) == expected)
    }

    @Test func killedReceiverResumesFromThePiecesItHolds() throws {
        let (server, alice, keys) = try makeServer()
        defer { server.stop() }
        _ = try drop(server, key: alice, size: 160_000_000, to: "@bob/")
        try server.waitForSettledBatches(1, timeout: 120)
        let first = try TestReceiver(server: server, user: "bob", key: keys["bob"]!)
        let partial = first.inbox.appendingPathComponent(".batchd-recv/1.part")
        let deadline = Date().addingTimeInterval(60)
        // Kill it once some pieces are on disk but not all.
        while Date() < deadline {
            var info = stat()
            if stat(partial.path, &info) == 0, Int(info.st_blocks) * 512 > 24_000_000 { break }
            usleep(2_000)
        }
        first.kill9()
        #expect(!FileManager.default.fileExists(atPath: first.inbox.appendingPathComponent("1-from-alice.tar.gz").path))

        let second = try TestReceiver(server: server, user: "bob", key: keys["bob"]!, once: true)
        defer { second.stop() }
        #expect(try second.waitForExit(timeout: 120) == 0)
        #expect(second.logText.contains("resuming from pieces already held"))
        let landed = second.inbox.appendingPathComponent("1-from-alice.tar.gz")
        let expected = try server.batch(1)["sha256"] as? String
        #expect(try Tree.sha256(landed.path) == expected)
    }

    @Test func changedServerHostKeyIsRefusedLoudly() throws {
        let (server, alice, keys) = try makeServer()
        defer { server.stop() }
        let knownHosts = server.directory.appendingPathComponent("bob_known_hosts").path
        let first = try TestReceiver(server: server, user: "bob", key: keys["bob"]!, knownHosts: knownHosts)
        usleep(800_000)
        first.stop()
        #expect(try String(contentsOfFile: knownHosts, encoding: .utf8).contains("ssh-ed25519"))
        _ = alice

        // Same address, new host key: a man in the middle, as far as bob knows.
        let port = server.port
        server.terminate()
        server.hostKeyPath = server.directory.appendingPathComponent("other_host_key").path
        try server.start(port: port)
        let second = try TestReceiver(server: server, user: "bob", key: keys["bob"]!, knownHosts: knownHosts)
        defer { second.stop() }
        #expect(try second.waitForExit(timeout: 30) == 1)
        #expect(second.logText.lowercased().contains("changed"))
    }

    @Test func unknownServerHostKeyIsRefusedWithoutAcceptNew() throws {
        let (server, _, keys) = try makeServer()
        defer { server.stop() }
        let receiver = try TestReceiver(server: server, user: "bob", key: keys["bob"]!,
                                        knownHosts: server.directory.appendingPathComponent("empty_known_hosts").path,
                                        acceptNewHostKey: false)
        defer { receiver.stop() }
        #expect(try receiver.waitForExit(timeout: 30) == 1)
        #expect(receiver.logText.contains("--accept-new-host-key"))
    }

    @Test func revokedKeyLosesItsOpenSubscriptionAtOnce() throws {
        let (server, alice, keys) = try makeServer()
        defer { server.stop() }
        let bob = try TestReceiver(server: server, user: "bob", key: keys["bob"]!)
        defer { bob.stop() }
        usleep(800_000)
        #expect(bob.isRunning)
        let listed = try server.batchctl(["key", "list", "bob", "--json"])
        let fingerprint = try #require(
            (try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])?.first?["fingerprint"] as? String)
        try server.batchctl(["key", "revoke", fingerprint]).expectSuccess("key revoke")
        #expect(try bob.waitForExit(timeout: 30) == 1)
        #expect(bob.logText.contains("revoked"))
        // The drop that follows is still offered to nobody on a dead channel: bob stays pending.
        _ = try drop(server, key: alice, size: 1000, to: "@bob/")
        try server.waitForSettledBatches(1)
        let state = ((try server.batch(1)["targets"] as? [[String: Any]])?.first?["state"] as? String)
        #expect(state == "pending")
    }

    @Test func onlyTargetsMaySubscribeOrFetch() throws {
        let (server, alice, _) = try makeServer()
        defer { server.stop() }
        let subscribe = try server.ssh("alice", key: alice, ["subscribe"])
        #expect(subscribe.status == 1)
        #expect(subscribe.stderr.contains("role source"))
        let fetch = try server.ssh("alice", key: alice, ["fetch", "1", "0", "0"])
        #expect(fetch.status == 1)
    }

    @Test func fetchOfABatchNotAcceptedIsRefused() throws {
        let (server, alice, keys) = try makeServer()
        defer { server.stop() }
        _ = try drop(server, key: alice, size: 10_000, to: "@bob/")
        try server.waitForSettledBatches(1)
        let early = try server.ssh("bob", key: keys["bob"]!, ["fetch", "1", "0", "0"])
        #expect(early.status == 1)
        #expect(early.stderr.contains("accept its offer before fetching"))
        let notOffered = try server.ssh("carol", key: keys["carol"]!, ["fetch", "1", "0", "0"])
        #expect(notOffered.status == 1)
        #expect(notOffered.stderr.contains("was not offered to carol"))
    }
}
