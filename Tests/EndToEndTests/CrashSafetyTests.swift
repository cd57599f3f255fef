import Foundation
import Testing

/// batchd or batchd-recv killed with SIGKILL at the worst moments, then
/// restarted: a batch whose upload finished is sealed from staging, no
/// sealed batch holds a partial file, no target holds a half-written
/// archive under its final name, accepted deliveries resume from the pieces
/// already held, the catalogue passes `PRAGMA integrity_check`, and a new
/// drop works. Crash points are armed through `BATCHD_TEST_CRASH_AT` (see
/// `CrashPoint`); mid-upload and mid-hook are plain kills.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct CrashSafetyTests {
    /// Source alice; targets bob and carol subscribed to ops.
    private func makeServer(crashAt point: String?, extraConfig: String = "") throws
        -> (TestServer, alice: String, bob: String, carol: String) {
        let server = try TestServer(extraConfig: extraConfig)
        if let point { server.environment = ["BATCHD_TEST_CRASH_AT": point] }
        let alice = try server.addUser("alice", role: "source")
        let bob = try server.addUser("bob", role: "target")
        let carol = try server.addUser("carol", role: "target")
        try server.batchctl(["topic", "add", "ops"]).expectSuccess()
        try server.batchctl(["topic", "subscribe", "ops", "bob", "carol"]).expectSuccess()
        try server.start()
        return (server, alice, bob, carol)
    }

    /// Restarts batchd on its port with no crash point armed.
    private func restart(_ server: TestServer) throws {
        server.environment = [:]
        try server.start(port: server.port)
    }

    /// What every crash must leave: a sound catalogue and a server that
    /// takes a new drop and seals it byte for byte.
    private func expectServesAgain(_ server: TestServer, alice: String) throws {
        #expect(try server.integrityCheck() == "ok")
        let folder = server.directory.appendingPathComponent("after-\(UUID().uuidString)")
        try Tree.make(at: folder, ["after.bin": Tree.random(30_000)])
        let before = try server.batches().count
        try server.scp([folder.appendingPathComponent("after.bin").path, "alice@127.0.0.1:ops/"], key: alice)
            .expectSuccess("scp after the restart")
        let batches = try server.waitForSettledBatches(before + 1)
        let id = try #require(batches.compactMap { $0["id"] as? Int }.max())
        let batch = try server.batch(id)
        #expect(batch["state"] as? String == "sealed")
        let out = try Tree.extract(try #require(batch["archive"] as? String), into: server.directory.appendingPathComponent("x\(id)"))
        #expect(try Tree.difference(folder, out) == nil)
    }

    /// A pre-seal hook that touches `started`, waits until the test creates
    /// `gate` (30 s at most), then touches `ended`: a test decides when a
    /// seal goes on. Its files live in `folder`, which the caller removes.
    private func gatedHook() throws -> (config: String, started: URL, gate: URL, ended: URL, folder: URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let started = folder.appendingPathComponent("started"), gate = folder.appendingPathComponent("gate")
        let ended = folder.appendingPathComponent("ended")
        let script = folder.appendingPathComponent("hook.sh")
        try """
            #!/bin/sh
            touch \(started.path)
            i=0
            while [ ! -e \(gate.path) ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
            touch \(ended.path)
            """.write(to: script, atomically: true, encoding: .utf8)
        chmod(script.path, 0o755)
        return ("Match Topic ops\n  PreSealHook \(script.path)", started, gate, ended, folder)
    }

    private func waitForFile(_ url: URL, _ what: String, server: TestServer) throws {
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: url.path) {
            if Date() > deadline { throw TestFailure("\(what) never happened\n\(server.logText)") }
            usleep(20_000)
        }
    }

    private func drop(_ server: TestServer, alice: String, size: Int, expectSuccess: Bool = true) throws {
        let folder = server.directory.appendingPathComponent("drop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Tree.writeRandomFile(at: folder.appendingPathComponent("data.bin"), size: size)
        let result = try server.scp([folder.appendingPathComponent("data.bin").path, "alice@127.0.0.1:ops/"], key: alice)
        if expectSuccess { try result.expectSuccess("scp") }
    }

    /// Where `user`'s delivery of `batch` came from, by source, once the
    /// catalogue says it is delivered.
    private func receivedFrom(_ server: TestServer, batch: Int, user: String) throws -> [String: Int] {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let targets = (try server.batch(batch)["targets"] as? [[String: Any]]) ?? []
            let entry = targets.first { $0["user"] as? String == user }
            if entry?["state"] as? String == "delivered" { return entry?["received_from"] as? [String: Int] ?? [:] }
            usleep(50_000)
        }
        throw TestFailure("\(user) never got batch \(batch)\n\(server.logText)")
    }

    @Test func killedMidUploadLeavesNoBatchAndServesAgain() throws {
        let (server, alice, _, _) = try makeServer(crashAt: nil)
        defer { server.stop() }
        let source = server.directory.appendingPathComponent("big.bin")
        try Tree.writeRandomFile(at: source, size: 300_000_000)
        let scp = try server.startScp([source.path, "alice@127.0.0.1:ops/"], key: alice)
        let deadline = Date().addingTimeInterval(30)
        while !server.logText.contains("batch opened") && Date() < deadline { usleep(10_000) }
        usleep(100_000)
        server.kill9()
        scp.waitUntilExit()
        #expect(scp.terminationStatus != 0, "scp was told a cut-off upload was stored")

        try restart(server)
        let batch = try server.batch(1)
        #expect(batch["state"] as? String == "failed")
        #expect((batch["failure"] as? String)?.hasPrefix("the server stopped before the upload finished") == true, "\(batch)")
        let staging = try FileManager.default.contentsOfDirectory(atPath: server.stateDirectory + "/staging")
        #expect(staging.isEmpty, "\(staging)")
        #expect(!FileManager.default.fileExists(atPath: server.stateDirectory + "/archives/1.tar.gz"))
        try expectServesAgain(server, alice: alice)
    }

    @Test func killedMidDropOverSeveralConnectionsSealsNothingPartial() throws {
        let (server, alice, _, _) = try makeServer(crashAt: nil)
        defer { server.stop() }
        // Four channels on two connections hold files open in ops/, and a
        // fifth connection's scp completes one into the same open batch.
        let holder = try PythonClient(starting: "resource_holder.py",
                                      ["127.0.0.1", String(server.port), "alice", alice, "2", "2", "2", "60"])
        defer { holder.kill() }
        let deadline = Date().addingTimeInterval(30)
        while server.logText.components(separatedBy: "authenticated").count - 1 < 2, Date() < deadline { usleep(20_000) }
        let done = server.directory.appendingPathComponent("done.txt")
        try Data("complete\n".utf8).write(to: done)
        try server.scp([done.path, "alice@127.0.0.1:ops/"], key: alice).expectSuccess("scp")
        #expect(try server.batches().map { $0["state"] as? String } == ["open"])
        server.kill9()
        holder.kill()

        try restart(server)
        let batches = try server.batches()
        #expect(batches.count == 1, "\(batches)")
        let batch = try server.batch(1)
        #expect(batch["state"] as? String == "failed", "\(batch)")
        let staging = try FileManager.default.contentsOfDirectory(atPath: server.stateDirectory + "/staging")
        #expect(staging.isEmpty, "\(staging)")
        #expect(!FileManager.default.fileExists(atPath: server.stateDirectory + "/archives/1.tar.gz"))
        try expectServesAgain(server, alice: alice)
    }

    @Test func killedMidSealTheBatchIsSealedFromStagingAfterRestart() throws {
        let hook = try gatedHook()
        defer { try? FileManager.default.removeItem(at: hook.folder) }
        let (server, alice, bobKey, _) = try makeServer(crashAt: "seal", extraConfig: hook.config)
        defer { server.stop() }
        try server.batchctl(["topic", "unsubscribe", "ops", "carol"]).expectSuccess()
        let folder = server.directory.appendingPathComponent("drop")
        // big.bin is archived as it uploads (1 MiB and up, written in order).
        try Tree.make(at: folder, ["sub/small.txt": Data("small\n".utf8), "sub/deeper/empty.bin": Data(), "empty": nil])
        try Tree.writeRandomFile(at: folder.appendingPathComponent("big.bin"), size: 3_000_000)
        // The hook holds the seal until scp has exited: its 0 is certain,
        // and the crash comes after the client was told the files are stored.
        try server.scp(["-r", folder.path + "/.", "alice@127.0.0.1:ops/"], key: alice).expectSuccess("scp")
        try waitForFile(hook.started, "the pre-seal hook", server: server)
        #expect(FileManager.default.createFile(atPath: hook.gate.path, contents: nil))
        #expect(server.waitForDeath(), "batchd did not reach the seal crash point\n\(server.logText)")
        #expect(try server.batch(1)["state"] as? String == "open")

        try restart(server)
        let batch = try #require(try server.waitForSettledBatches(1).first { $0["id"] as? Int == 1 })
        #expect(batch["state"] as? String == "sealed", "\(batch)\n\(server.logText)")
        #expect(server.logText.contains("batch sealed after restart"), "\(server.logText)")
        #expect(!server.logText.contains("pre-seal hook accepted"), "the hook already vetted the batch before the crash")
        let sealed = try server.batch(1)
        let archive = try #require(sealed["archive"] as? String)
        #expect(try Tree.sha256(archive) == sealed["sha256"] as? String)
        let files = TestServer.filePaths(of: sealed).sorted()
        #expect(files == ["big.bin", "sub/deeper/empty.bin", "sub/small.txt"], "\(sealed)")
        let out = try Tree.extract(archive, into: server.directory)
        #expect(try Tree.difference(folder, out) == nil)
        let staging = try FileManager.default.contentsOfDirectory(atPath: server.stateDirectory + "/staging")
        #expect(staging.isEmpty, "\(staging)")

        let bob = try TestReceiver(server: server, user: "bob", key: bobKey)
        defer { bob.stop() }
        let landed = try bob.waitForFile("1-ops.tar.gz")
        #expect(try Tree.sha256(landed.path) == sealed["sha256"] as? String)
        try expectServesAgain(server, alice: alice)
    }

    @Test func killedMidSealWithAStagedFileCutShortTheBatchFailsWithTheReason() throws {
        let (server, alice, _, _) = try makeServer(crashAt: "seal")
        defer { server.stop() }
        // scp may or may not see its exit status: batchd sends it as the
        // seal starts and dies when the archive is synced, milliseconds
        // later, maybe before the channel's close reached the client.
        try drop(server, alice: alice, size: 2_000_000, expectSuccess: false)
        #expect(server.waitForDeath(), "batchd did not reach the seal crash point\n\(server.logText)")
        let staging = server.stateDirectory + "/staging/1"
        let staged = try FileManager.default.contentsOfDirectory(atPath: staging).filter { $0.hasSuffix(".part") }
        #expect(staged.count == 1, "\(staged)")
        for name in staged { #expect(truncate(staging + "/" + name, 1_000_000) == 0) }

        try restart(server)
        let batch = try #require(try server.waitForSettledBatches(1).first { $0["id"] as? Int == 1 })
        #expect(batch["state"] as? String == "failed")
        let failure = try server.batch(1)["failure"] as? String ?? ""
        #expect(failure.contains("the staged copy of 'data.bin' has 1000000 bytes, not the 2000000 uploaded"), "\(failure)")
        #expect(!FileManager.default.fileExists(atPath: server.stateDirectory + "/archives/1.tar.gz"))
        #expect(!FileManager.default.fileExists(atPath: staging))
        try expectServesAgain(server, alice: alice)
    }

    @Test func killedWhileThePreSealHookRunsTheBatchIsFailedNotSealedUnvetted() throws {
        let hook = try gatedHook()
        defer { try? FileManager.default.removeItem(at: hook.folder) }
        let (server, alice, _, _) = try makeServer(crashAt: nil, extraConfig: hook.config)
        defer { server.stop() }
        try drop(server, alice: alice, size: 2_000_000)
        try waitForFile(hook.started, "the pre-seal hook", server: server)
        server.kill9()
        // The hook outlives batchd, holding none of its descriptors: the
        // restart gets the port back while the hook still waits.
        try restart(server)
        #expect(!FileManager.default.fileExists(atPath: hook.ended.path), "the restart waited for the hook to end")
        #expect(FileManager.default.createFile(atPath: hook.gate.path, contents: nil))
        let batch = try server.batch(1)
        #expect(batch["state"] as? String == "failed")
        #expect((batch["failure"] as? String)?.contains("while the pre-seal hook ran") == true, "\(batch)")
        #expect(!FileManager.default.fileExists(atPath: server.stateDirectory + "/archives/1.tar.gz"))
        let staging = try FileManager.default.contentsOfDirectory(atPath: server.stateDirectory + "/staging")
        #expect(staging.isEmpty, "\(staging)")
        try expectServesAgain(server, alice: alice)
    }

    @Test func killedMidOfferEveryTargetStillGetsTheBatch() throws {
        let (server, alice, bobKey, carolKey) = try makeServer(crashAt: "offer")
        defer { server.stop() }
        let bob = try TestReceiver(server: server, user: "bob", key: bobKey)
        defer { bob.stop() }
        let carol = try TestReceiver(server: server, user: "carol", key: carolKey)
        defer { carol.stop() }
        usleep(500_000)
        try drop(server, alice: alice, size: 3_000_000)
        #expect(server.waitForDeath(), "batchd did not reach the offer crash point\n\(server.logText)")

        try restart(server)
        let sealed = try server.batch(1)
        #expect(sealed["state"] as? String == "sealed")
        for receiver in [bob, carol] {
            let landed = try receiver.waitForFile("1-ops.tar.gz", timeout: 90)
            #expect(try Tree.sha256(landed.path) == sealed["sha256"] as? String)
        }
        try expectServesAgain(server, alice: alice)
    }

    @Test func killedMidDeliveryTheTargetResumesFromItsPieces() throws {
        let (server, alice, bobKey, _) = try makeServer(crashAt: "serve", extraConfig: "PieceSize 1M")
        defer { server.stop() }
        try server.batchctl(["topic", "unsubscribe", "ops", "carol"]).expectSuccess()
        let bob = try TestReceiver(server: server, user: "bob", key: bobKey)
        defer { bob.stop() }
        usleep(500_000)
        let size = 24_000_000
        try drop(server, alice: alice, size: size)
        #expect(server.waitForDeath(), "batchd did not reach the serve crash point\n\(server.logText)")

        try restart(server)
        let landed = try bob.waitForFile("1-ops.tar.gz", timeout: 90)
        let batch = try server.batch(1)
        #expect(try Tree.sha256(landed.path) == batch["sha256"] as? String)
        // After the restart the server served only what bob did not hold.
        let served = try receivedFrom(server, batch: 1, user: "bob")["server"] ?? 0
        let archiveSize = try #require(batch["size"] as? Int)
        #expect(served > 0 && served < archiveSize, "served \(served) of \(archiveSize) after the restart")
        try expectServesAgain(server, alice: alice)
    }

    @Test func batchctlKilledMidPurgeLeavesNoOrphanArchiveAfterRestart() throws {
        let (server, alice, _, _) = try makeServer(crashAt: nil)
        defer { server.stop() }
        try drop(server, alice: alice, size: 1_000_000)
        try server.waitForSettledBatches(1)
        let archive = server.stateDirectory + "/archives/1.tar.gz"
        #expect(FileManager.default.fileExists(atPath: archive))

        let environment = ProcessInfo.processInfo.environment.merging(["BATCHD_TEST_CRASH_AT": "purge"]) { $1 }
        let purge = try ProcessRunner.run([server.bin.appendingPathComponent("batchctl").path, "--state", server.stateDirectory,
                                           "batch", "purge", "1"], environment: environment)
        #expect(purge.status == SIGKILL, "batchctl did not reach the purge crash point: \(purge.status) \(purge.stderr)")
        #expect(try server.batch(1)["state"] as? String == "purged")
        #expect(FileManager.default.fileExists(atPath: archive), "the crash point comes before the removal")

        server.terminate()
        try restart(server)
        #expect(!FileManager.default.fileExists(atPath: archive))
        #expect(server.logText.contains("archive left by an interrupted purge or seal removed"))
        try expectServesAgain(server, alice: alice)
    }

    @Test func receiverKilledBeforeLandingNeverShowsAHalfArchive() throws {
        let (server, alice, bobKey, _) = try makeServer(crashAt: nil)
        defer { server.stop() }
        try server.batchctl(["topic", "unsubscribe", "ops", "carol"]).expectSuccess()
        let inbox = server.directory.appendingPathComponent("inbox-bob")
        let crashing = try TestReceiver(server: server, user: "bob", key: bobKey, inbox: inbox,
                                        environment: ["BATCHD_TEST_CRASH_AT": "land"])
        usleep(500_000)
        try drop(server, alice: alice, size: 5_000_000)
        _ = try crashing.waitForExit(timeout: 60)
        let final = inbox.appendingPathComponent("1-ops.tar.gz")
        #expect(!FileManager.default.fileExists(atPath: final.path), "the archive reached its final name before the crash")
        #expect(FileManager.default.fileExists(atPath: inbox.appendingPathComponent(".batchd-recv/1.part").path))

        let bob = try TestReceiver(server: server, user: "bob", key: bobKey, inbox: inbox)
        defer { bob.stop() }
        let landed = try bob.waitForFile("1-ops.tar.gz", timeout: 60)
        #expect(try Tree.sha256(landed.path) == server.batch(1)["sha256"] as? String)
        let leftovers = Tree.listing(inbox).filter { $0.hasSuffix(".part") }
        #expect(leftovers.isEmpty, "\(leftovers)")
        #expect(try server.integrityCheck() == "ok")
    }

    @Test func relayKilledMidServeTheDownstreamTargetCompletesFromThePiecesItHolds() throws {
        let (server, alice, bobKey, carolKey) = try makeServer(crashAt: nil, extraConfig: "PieceSize 1M")
        defer { server.stop() }
        let bob = try TestReceiver(server: server, user: "bob", key: bobKey, listen: "127.0.0.1:0",
                                   environment: ["BATCHD_TEST_CRASH_AT": "relay"])
        defer { bob.stop() }
        _ = try bob.listenPort()
        usleep(300_000)
        try drop(server, alice: alice, size: 24_000_000)
        _ = try bob.waitForFile("1-ops.tar.gz")
        // carol comes online later: her plan sends her to bob, who dies
        // halfway through serving her.
        let carol = try TestReceiver(server: server, user: "carol", key: carolKey, once: true)
        defer { carol.stop() }
        #expect(try bob.waitForExit(timeout: 60) == SIGKILL, "bob did not reach the relay crash point\n\(bob.logText)")
        #expect(try carol.waitForExit(timeout: 90) == 0, "\(carol.logText)")

        let batch = try server.batch(1)
        let landed = carol.inbox.appendingPathComponent("1-ops.tar.gz").path
        #expect(try Tree.sha256(landed) == batch["sha256"] as? String)
        #expect(Tree.listing(carol.inbox).filter { $0.hasSuffix(".part") }.isEmpty)
        // What bob served before dying was kept: the rest came from the server.
        let size = try #require(batch["size"] as? Int)
        let received = try receivedFrom(server, batch: 1, user: "carol")
        let fromBob = received["bob"] ?? 0, fromServer = received["server"] ?? 0
        #expect(fromBob > 0 && fromServer < size && fromBob + fromServer == size, "\(received) of \(size)\n\(carol.logText)")

        // The relay restarts and takes the next batch.
        let again = try TestReceiver(server: server, user: "bob", key: bobKey, inbox: bob.inbox, listen: "127.0.0.1:0")
        defer { again.stop() }
        _ = try again.listenPort()
        usleep(300_000)
        try expectServesAgain(server, alice: alice)
        _ = try again.waitForFile("2-ops.tar.gz")
    }

    @Test func targetKilledMidRelayFetchResumesFromItsPiecesAfterRestart() throws {
        let (server, alice, bobKey, carolKey) = try makeServer(crashAt: nil, extraConfig: "PieceSize 1M")
        defer { server.stop() }
        let bob = try TestReceiver(server: server, user: "bob", key: bobKey, listen: "127.0.0.1:0")
        defer { bob.stop() }
        _ = try bob.listenPort()
        usleep(300_000)
        let size = 24_000_000
        try drop(server, alice: alice, size: size)
        _ = try bob.waitForFile("1-ops.tar.gz")
        let inbox = server.directory.appendingPathComponent("inbox-carol")
        let crashing = try TestReceiver(server: server, user: "carol", key: carolKey, once: true, inbox: inbox,
                                        environment: ["BATCHD_TEST_CRASH_AT": "relay-fetch"])
        #expect(try crashing.waitForExit(timeout: 60) == SIGKILL, "carol did not reach the relay-fetch crash point\n\(crashing.logText)")
        #expect(!FileManager.default.fileExists(atPath: inbox.appendingPathComponent("1-ops.tar.gz").path))
        #expect(FileManager.default.fileExists(atPath: inbox.appendingPathComponent(".batchd-recv/1.part").path))

        let carol = try TestReceiver(server: server, user: "carol", key: carolKey, once: true, inbox: inbox)
        defer { carol.stop() }
        #expect(try carol.waitForExit(timeout: 90) == 0, "\(carol.logText)")
        #expect(carol.logText.contains("resuming from pieces already held"), "\(carol.logText)")
        let batch = try server.batch(1)
        #expect(try Tree.sha256(inbox.appendingPathComponent("1-ops.tar.gz").path) == batch["sha256"] as? String)
        #expect(Tree.listing(inbox).filter { $0.hasSuffix(".part") }.isEmpty)
        // After the restart carol fetched only the pieces she did not hold.
        let archiveSize = try #require(batch["size"] as? Int)
        let fetched = try receivedFrom(server, batch: 1, user: "carol").values.reduce(0, +)
        #expect(fetched > 0 && fetched <= archiveSize / 2, "fetched \(fetched) of \(archiveSize) after the restart")
        try expectServesAgain(server, alice: alice)
    }
}
