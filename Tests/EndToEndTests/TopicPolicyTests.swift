import Foundation
import Testing

/// Per-topic limits from batchd.conf: MaxBatchSize and SourceQuota refuse
/// the upload with a reason the scp user sees; Retention purges batches
/// nobody is fetching; `batchctl batch purge` never removes a batch
/// still being delivered unless forced.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct TopicPolicyTests {
    private func files(in server: TestServer, _ sizes: [String: Int]) throws -> URL {
        let folder = server.directory.appendingPathComponent("files-\(UUID().uuidString)")
        try Tree.make(at: folder, sizes.mapValues { Tree.random($0) })
        return folder
    }

    @Test(arguments: [false, true])
    func maxBatchSizeRefusesTheFileThatWouldPassIt(legacy: Bool) throws {
        let (server, alice) = try TestServer.withAliceBobAndOps(extraConfig: """
            Match Topic ops
                MaxBatchSize 100K
            """)
        defer { server.stop() }
        let folder = try files(in: server, ["a.bin": 60_000, "b.bin": 60_000, "small.bin": 1_000])
        // Two files of 60 KB in one batch pass 100 KiB: the second is refused.
        let both = try server.scp(["-r", folder.path, "alice@127.0.0.1:ops/"], key: alice, legacy: legacy)
        #expect(!both.succeeded)
        #expect(both.stderr.contains("100 KiB"), "\(both.stderr)")
        #expect(both.stderr.contains("MaxBatchSize"), "\(both.stderr)")
        // (The next drop comes after this batch sealed, or it would join it.)
        _ = try server.waitForSettledBatches(1)

        // The server keeps serving; a batch under the limit seals.
        try server.scp([folder.appendingPathComponent("small.bin").path, "alice@127.0.0.1:ops/"], key: alice, legacy: legacy)
            .expectSuccess("scp under the limit")
        let batches = try server.waitForSettledBatches(2)
        let sealed = batches.filter { $0["state"] as? String == "sealed" }
        #expect(sealed.count == 2, "\(batches)")
        // What was kept of the refused drop stays under the limit.
        let sizes = try sealed.map { try server.batch(try #require($0["id"] as? Int)) }
            .map { (($0["files"] as? [[String: Any]]) ?? []).reduce(0) { $0 + (($1["size"] as? Int) ?? 0) } }
        #expect(sizes.allSatisfy { $0 <= 100 * 1024 }, "\(sizes)")
    }

    @Test func maxBatchSizeAppliesOnlyToTheTopicsItsBlockMatches() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps(extraConfig: """
            Match Topic reports-*,!reports-big
                MaxBatchSize 10K
            """)
        defer { server.stop() }
        try server.batchctl(["topic", "add", "reports-big"]).expectSuccess()
        try server.batchctl(["topic", "add", "reports-day"]).expectSuccess()
        let folder = try files(in: server, ["f.bin": 20_000])
        let file = folder.appendingPathComponent("f.bin").path
        try server.scp([file, "alice@127.0.0.1:ops/"], key: alice).expectSuccess("ops has no limit")
        try server.scp([file, "alice@127.0.0.1:reports-big/"], key: alice).expectSuccess("reports-big is excluded")
        let limited = try server.scp([file, "alice@127.0.0.1:reports-day/"], key: alice)
        #expect(!limited.succeeded)
        #expect(limited.stderr.contains("'reports-day' would exceed 10 KiB"), "\(limited.stderr)")
    }

    @Test(arguments: [false, true])
    func sourceQuotaCountsTheLastDayOfSealedBatches(legacy: Bool) throws {
        let (server, alice) = try TestServer.withAliceBobAndOps(extraConfig: "SourceQuota 100K")
        defer { server.stop() }
        try server.batchctl(["topic", "add", "other"]).expectSuccess()
        let carol = try server.addUser("carol", role: "source")
        let folder = try files(in: server, ["one.bin": 60_000, "two.bin": 60_000])
        let one = folder.appendingPathComponent("one.bin").path
        let two = folder.appendingPathComponent("two.bin").path

        try server.scp([one, "alice@127.0.0.1:ops/"], key: alice, legacy: legacy).expectSuccess("first drop")
        try server.waitForSettledBatches(1)
        let over = try server.scp([two, "alice@127.0.0.1:ops/"], key: alice, legacy: legacy)
        #expect(!over.succeeded)
        #expect(over.stderr.contains("quota for 'ops'"), "\(over.stderr)")
        #expect(over.stderr.contains("58.6 KiB of 100 KiB used"), "\(over.stderr)")

        // The quota is per source and per topic.
        try server.scp([two, "carol@127.0.0.1:ops/"], key: carol, legacy: legacy).expectSuccess("another source")
        try server.scp([two, "alice@127.0.0.1:other/"], key: alice, legacy: legacy).expectSuccess("another topic")
        let batches = try server.waitForSettledBatches(3)
        #expect(batches.filter { $0["state"] as? String == "sealed" }.count == 3, "\(batches)")
    }

    @Test func sourceQuotaCountsUploadsRunningAtTheSameTime() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps(extraConfig: "SourceQuota 1M")
        defer { server.stop() }
        // Alone, either file fits the quota; together they do not.
        let folder = try files(in: server, ["a.bin": 700_000, "b.bin": 900_000])
        let first = try server.startScp(["-l", "2000", folder.appendingPathComponent("a.bin").path, "alice@127.0.0.1:ops/"],
                                        key: alice)
        defer { if first.isRunning { first.terminate() } }
        try server.waitForLog("batch opened")
        sleep(1)
        // The first upload's bytes are not sealed yet, but they count.
        let second = try server.scp([folder.appendingPathComponent("b.bin").path, "alice@127.0.0.1:ops/"], key: alice)
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
        #expect(!second.succeeded)
        #expect(second.stderr.contains("quota for 'ops'"), "\(second.stderr)")
    }

    @Test func retentionPurgesBatchesNobodyIsFetchingAndWithdrawsTheirOffers() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps(extraConfig: """
            Match Topic ops
                Retention 5s
            """)
        defer { server.stop() }
        let folder = try files(in: server, ["f.bin": 10_000])
        // bob is offline: the offer stays pending until the batch expires.
        try server.scp([folder.appendingPathComponent("f.bin").path, "alice@127.0.0.1:ops/"], key: alice).expectSuccess()
        let id = try #require(try server.waitForSettledBatches(1).first?["id"] as? Int)
        // Five seconds leave room to see the archive before it expires,
        // even on a slow (sanitized) build.
        let archive = try #require(try server.batch(id)["archive"] as? String)
        #expect(FileManager.default.fileExists(atPath: archive))

        try server.waitForLog("batch purged", timeout: 25)
        let batch = try server.batch(id)
        #expect(batch["state"] as? String == "purged")
        #expect((batch["failure"] as? String)?.contains("expired after 5s") == true, "\(batch)")
        #expect(batch["purged_at"] is Int)
        #expect(!FileManager.default.fileExists(atPath: archive))
        let targets = batch["targets"] as? [[String: Any]] ?? []
        #expect(targets.first?["state"] as? String == "withdrawn", "\(targets)")

        // The source sees it end.
        let watch = try server.ssh("alice", key: alice, ["watch", String(id)])
        #expect(watch.stdout.contains("purged"), "\(watch.stdout)")
        // Announced once, by the sweep that made it.
        sleep(3)
        #expect(server.logText.components(separatedBy: "batch purged").count - 1 == 1, "\(server.logText)")
        #expect(!server.logText.contains("by=batchctl"))
    }

    @Test func purgeRefusesABatchBeingDeliveredUnlessForced() throws {
        // batchd dies as it starts serving bob: the offer stays accepted,
        // bob holds part of the archive and will resume.
        let (server, alice) = try TestServer.withAliceBobAndOps(environment: ["BATCHD_TEST_CRASH_AT": "serve"])
        defer { server.stop() }
        let bob = try TestReceiver(server: server, user: "bob", key: server.keyPath("bob"))
        defer { bob.stop() }
        let folder = try files(in: server, ["big.bin": 2_000_000])
        try server.scp([folder.appendingPathComponent("big.bin").path, "alice@127.0.0.1:ops/"], key: alice).expectSuccess()
        #expect(server.waitForDeath())
        let id = try #require(try server.batches().first?["id"] as? Int)
        try waitForTarget(server, id, state: "accepted")

        let refused = try server.batchctl(["batch", "purge", String(id)])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("still being delivered to bob"), "\(refused.stderr)")
        let kept = try server.batch(id)
        #expect(kept["state"] as? String == "sealed")
        #expect(FileManager.default.fileExists(atPath: kept["archive"] as? String ?? "/nonexistent"))

        let forced = try server.batchctl(["batch", "purge", "--force", String(id)])
        try forced.expectSuccess("purge --force")
        let purged = try server.batch(id)
        #expect(purged["state"] as? String == "purged")
        #expect((purged["targets"] as? [[String: Any]])?.first?["state"] as? String == "withdrawn")
    }

    @Test func purgeByAnotherProcessIsLoggedAndWithdrawnFromWaitingTargets() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps()
        defer { server.stop() }
        // bob's subscriber gets the offer and never answers it. It runs
        // under `timeout`, which bounds it and stays its parent: ssh
        // closes every inherited descriptor as it starts, including the
        // one Foundation watches for its exit, which would then wait on
        // it and notice no other child's exit meanwhile. Children start
        // with the test's signals blocked, so both end by SIGKILL, to
        // the process group `timeout` makes.
        let subscriber = Process()
        subscriber.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        subscriber.arguments = ["-s", "KILL", "60", "ssh"] + server.sshOptions + ["-p", String(server.port), "-i", server.keyPath("bob"),
                                                                   "bob@127.0.0.1", "subscribe"]
        let input = Pipe()
        let output = Pipe()
        subscriber.standardInput = input
        subscriber.standardOutput = output
        subscriber.standardError = FileHandle.nullDevice
        let frames = DataCollector(output.fileHandleForReading)
        try subscriber.run()
        defer {
            kill(-subscriber.processIdentifier, SIGKILL)
            subscriber.waitUntilExit()
        }
        let folder = try files(in: server, ["f.bin": 5_000])
        try server.scp([folder.appendingPathComponent("f.bin").path, "alice@127.0.0.1:ops/"], key: alice).expectSuccess()
        let id = try #require(try server.waitForSettledBatches(1).first?["id"] as? Int)
        try waitForTarget(server, id, state: "offered")

        // batchctl on the state directory, in a process of its own.
        let purged = try server.batchctl(["batch", "purge", String(id)])
        try purged.expectSuccess("purge")
        #expect(purged.stdout.contains("(open offers ended: bob)"), "\(purged.stdout)")
        try server.waitForLog("by=batchctl", timeout: 15)
        #expect(server.logText.contains("batch=\(id)"))
        #expect(server.logText.contains("withdrawn=bob"), "\(server.logText)")
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, !String(decoding: frames.snapshot(), as: UTF8.self).contains("\"withdrawn\"") {
            usleep(50_000)
        }
        let received = String(decoding: frames.snapshot(), as: UTF8.self)
        #expect(received.contains("\"withdrawn\""), "\(received)")
        #expect(received.contains("purged by an admin"), "\(received)")
    }

    @Test func purgeExpiredUsesTheConfigsRetention() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps()
        defer { server.stop() }
        let folder = try files(in: server, ["f.bin": 1_000])
        try server.scp([folder.appendingPathComponent("f.bin").path, "alice@127.0.0.1:ops/"], key: alice).expectSuccess()
        let id = try #require(try server.waitForSettledBatches(1).first?["id"] as? Int)
        let config = server.directory.appendingPathComponent("purge.conf")
        try "StateDirectory \(server.stateDirectory)\nMatch Topic ops\n  Retention 1s\n".write(to: config, atomically: true, encoding: .utf8)
        sleep(2)
        let batchctl = server.bin.appendingPathComponent("batchctl").path
        let result = try ProcessRunner.run([batchctl, "--config", config.path, "batch", "purge", "--expired"], timeout: 30)
        try result.expectSuccess("purge --expired")
        #expect(result.stdout.contains("purged batch \(id): expired after 1s"), "\(result.stdout)")
        #expect(try server.batch(id)["state"] as? String == "purged")
        let again = try ProcessRunner.run([batchctl, "--config", config.path, "batch", "purge", "--expired"], timeout: 30)
        #expect(again.stdout.contains("no sealed batch is past its retention"), "\(again.stdout)")
    }

    private func waitForTarget(_ server: TestServer, _ id: Int, state: String, timeout: Double = 20) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let targets = try server.batch(id)["targets"] as? [[String: Any]] ?? []
            if targets.contains(where: { $0["state"] as? String == state }) { return }
            usleep(50_000)
        }
        throw TestFailure("batch \(id) never had a target \(state)\n\(server.logText)")
    }
}
