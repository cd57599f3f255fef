import Foundation
import Testing

/// A topic's PreSealHook sees the batch's files under their paths before
/// the batch is sealed; a non-zero exit or a timeout rejects the batch,
/// and the reason reaches the catalogue and `watch`.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct PreSealHookTests {
    /// A hook that refuses `.exe` files and otherwise writes what it saw
    /// (its arguments, folder, variables and files) to `seen`.
    private func scanner(in server: TestServer, seen: URL) throws -> URL {
        let script = server.directory.appendingPathComponent("scan.sh")
        try """
            #!/bin/sh
            found=$(find . -name '*.exe' | sort | tr '\\n' ' ')
            if [ -n "$found" ]; then echo "infected: $found"; exit 3; fi
            {
              for last; do :; done
              echo "args=$# $1 $last"
              echo "pwd=$(pwd)"
              echo "topic=$BATCHD_TOPIC source=$BATCHD_SOURCE files=$BATCHD_FILES bytes=$BATCHD_BYTES batch=$BATCHD_BATCH"
              find . -type f | sort
              cat ./sub/a.txt
            } > \(seen.path)
            """.write(to: script, atomically: true, encoding: .utf8)
        chmod(script.path, 0o755)
        return script
    }

    @Test func anAcceptingHookSeesTheFilesUnderTheirPathsAndTheBatchSeals() throws {
        let seen = FileManager.default.temporaryDirectory.appendingPathComponent("seen-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: seen) }
        let server = try TestServer()
        let script = try scanner(in: server, seen: seen)
        server.extraConfig = "Match Topic ops\n  PreSealHook \"\(script.path) --quiet\""
        let (alice, _) = try aliceAndOps(server)
        defer { server.stop() }
        let folder = server.directory.appendingPathComponent("drop")
        try Tree.make(at: folder, ["sub/a.txt": Data("hello\n".utf8), "b.txt": Data("bye\n".utf8)])
        try server.scp(["-r", folder.path + "/.", "alice@127.0.0.1:ops/"], key: alice).expectSuccess()

        let batch = try #require(try server.waitForSettledBatches(1).first)
        #expect(batch["state"] as? String == "sealed", "\(batch)\n\(server.logText)")
        let text = try String(contentsOf: seen, encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        let id = try #require(batch["id"] as? Int)
        #expect(lines.contains("topic=ops source=alice files=2 bytes=10 batch=\(id)"), "\(text)")
        #expect(lines.contains("./b.txt") && lines.contains("./sub/a.txt") && lines.contains("hello"), "\(text)")
        // The hook's own arguments come first, then the folder it runs in.
        let pwd = try #require(lines.first { $0.hasPrefix("pwd=") }?.dropFirst(4))
        #expect(lines.contains("args=2 --quiet \(pwd)"), "\(text)")
        #expect(server.logText.contains("pre-seal hook accepted the batch"))
    }

    @Test func aRejectingHookFailsTheBatchWithItsReason() throws {
        let seen = FileManager.default.temporaryDirectory.appendingPathComponent("seen-\(UUID().uuidString)")
        let server = try TestServer()
        let script = try scanner(in: server, seen: seen)
        server.extraConfig = "PreSealHook \(script.path)"
        let (alice, bob) = try aliceAndOps(server)
        defer { server.stop() }
        let receiver = try TestReceiver(server: server, user: "bob", key: bob)
        defer { receiver.stop() }
        let folder = server.directory.appendingPathComponent("drop")
        try Tree.make(at: folder, ["evil.exe": Data("MZ".utf8), "fine.txt": Data("ok\n".utf8)])
        // The upload itself completes: the hook judges the whole batch.
        try server.scp([folder.appendingPathComponent("evil.exe").path, folder.appendingPathComponent("fine.txt").path,
                        "alice@127.0.0.1:ops/"], key: alice).expectSuccess()

        let id = try #require(try server.waitForSettledBatches(1).first?["id"] as? Int)
        let batch = try server.batch(id)
        #expect(batch["state"] as? String == "failed")
        #expect(batch["failure"] as? String == "rejected by the pre-seal hook (exit 3): infected: ./evil.exe", "\(batch)")
        #expect((batch["targets"] as? [Any])?.isEmpty == true)
        #expect(batch["archive"] is NSNull)
        let watch = try server.ssh("alice", key: alice, ["watch", String(id)])
        #expect(watch.status == 1)
        #expect(watch.stdout.contains("failed: rejected by the pre-seal hook (exit 3): infected: ./evil.exe"), "\(watch.stdout)")
        #expect(!FileManager.default.fileExists(atPath: seen.path))
        #expect(Tree.listing(URL(fileURLWithPath: server.stateDirectory).appendingPathComponent("archives")).isEmpty)
    }

    @Test func legacyScpExitsNonZeroWithTheHooksReasonWhenItRefuses() throws {
        let seen = FileManager.default.temporaryDirectory.appendingPathComponent("seen-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: seen) }
        let server = try TestServer()
        let script = try scanner(in: server, seen: seen)
        server.extraConfig = "PreSealHook \(script.path)"
        let (alice, _) = try aliceAndOps(server)
        defer { server.stop() }
        let folder = server.directory.appendingPathComponent("drop")
        try Tree.make(at: folder, ["evil.exe": Data("MZ".utf8), "fine.txt": Data("ok\n".utf8)])
        let refused = try server.scp([folder.appendingPathComponent("evil.exe").path, folder.appendingPathComponent("fine.txt").path,
                                      "alice@127.0.0.1:ops/"], key: alice, legacy: true)
        #expect(refused.status != 0, "\(refused.stderr)")
        #expect(refused.stderr.contains("was not sealed: rejected by the pre-seal hook (exit 3): infected: ./evil.exe"),
                "\(refused.stderr)")
        let id = try #require(try server.waitForSettledBatches(1).first?["id"] as? Int)
        #expect(try server.batch(id)["state"] as? String == "failed")

        // A clean drop still exits 0, after its batch is sealed.
        let clean = server.directory.appendingPathComponent("clean")
        try Tree.make(at: clean, ["sub/a.txt": Data("hello\n".utf8)])
        let accepted = try server.scp(["-r", clean.appendingPathComponent("sub").path, "alice@127.0.0.1:ops/"], key: alice, legacy: true)
        #expect(accepted.succeeded, "\(accepted.stderr)")
        let batches = try server.waitForSettledBatches(2)
        #expect(batches.contains { $0["state"] as? String == "sealed" }, "\(batches)")
    }

    @Test func oneUsersHooksRunAtMostMaxPreSealHooksPerUserAtATime() throws {
        let server = try TestServer()
        let spans = server.directory.appendingPathComponent("spans")
        let script = server.directory.appendingPathComponent("slow.sh")
        try """
            #!/bin/sh
            echo "start $(date +%s.%N)" >> \(spans.path)
            sleep 1
            echo "end $(date +%s.%N)" >> \(spans.path)
            """.write(to: script, atomically: true, encoding: .utf8)
        chmod(script.path, 0o755)
        server.extraConfig = "PreSealHook \(script.path)\nMaxPreSealHooksPerUser 1"
        let (alice, _) = try aliceAndOps(server)
        defer { server.stop() }
        let folder = server.directory.appendingPathComponent("drop")
        try Tree.make(at: folder, ["a.txt": Data("a".utf8)])
        try server.batchctl(["topic", "add", "ops2"]).expectSuccess()
        try server.batchctl(["topic", "subscribe", "ops2", "bob"]).expectSuccess()
        // Three drops at once, to three destinations so each is its own
        // batch: their hooks take turns.
        let one = { (destination: String) in
            (["scp"] + server.sshOptions + ["-P", String(server.port), "-i", alice,
                                           folder.appendingPathComponent("a.txt").path, "alice@127.0.0.1:\(destination)/"])
                .map { "'\($0)'" }.joined(separator: " ")
        }
        // (No `wait` in that shell: it inherits the test runner's blocked
        // signals, and dash's `wait` then never returns.)
        try ProcessRunner.run(["/bin/sh", "-c", "\(one("ops")) & \(one("ops2")) & \(one("@bob"))"]).expectSuccess()
        let batches = try server.waitForSettledBatches(3)
        #expect(batches.allSatisfy { $0["state"] as? String == "sealed" }, "\(batches)")
        let events = try String(contentsOf: spans, encoding: .utf8).split(separator: "\n").map { $0.split(separator: " ") }
        #expect(events.count == 6)
        // Never two starts in a row: each hook ended before the next began.
        let kinds = events.map { String($0[0]) }
        #expect(kinds == ["start", "end", "start", "end", "start", "end"], "\(events)")
    }

    @Test func aTopicsHookAlsoVetsADropToItsSubscribersByName() throws {
        let server = try TestServer()
        let script = server.directory.appendingPathComponent("refuse.sh")
        try "#!/bin/sh\necho \"ops allows no .exe\"\nexit 4\n".write(to: script, atomically: true, encoding: .utf8)
        chmod(script.path, 0o755)
        server.extraConfig = "Match Topic ops\n  PreSealHook \(script.path)"
        let (alice, _) = try aliceAndOps(server)
        defer { server.stop() }
        let folder = server.directory.appendingPathComponent("drop")
        try Tree.make(at: folder, ["x.exe": Data("MZ".utf8)])
        // bob subscribes to ops: naming him instead of the topic does not
        // skip the topic's hook.
        let result = try server.scp([folder.appendingPathComponent("x.exe").path, "alice@127.0.0.1:@bob/"], key: alice, legacy: true)
        #expect(result.status != 0)
        #expect(result.stderr.contains("ops allows no .exe"), "\(result.stderr)")
        let id = try #require(try server.waitForSettledBatches(1).first?["id"] as? Int)
        #expect(try server.batch(id)["state"] as? String == "failed")
    }

    @Test func aHookPastItsTimeoutIsKilledWithEverythingItStarted() throws {
        let server = try TestServer()
        // A child of the hook that would outlive it, were the group not killed.
        server.extraConfig = """
            Match Topic ops
                PreSealHook "sleep 37.25 & sleep 37.5; true"
                PreSealTimeout 1s
            """
        let (alice, _) = try aliceAndOps(server)
        defer { server.stop() }
        let folder = server.directory.appendingPathComponent("drop")
        try Tree.make(at: folder, ["f.txt": Data("x".utf8)])
        let started = Date()
        try server.scp([folder.appendingPathComponent("f.txt").path, "alice@127.0.0.1:ops/"], key: alice).expectSuccess()
        let id = try #require(try server.waitForSettledBatches(1, timeout: 20).first?["id"] as? Int)
        #expect(Date().timeIntervalSince(started) < 15)
        let batch = try server.batch(id)
        #expect(batch["state"] as? String == "failed")
        #expect(batch["failure"] as? String == "the pre-seal hook did not finish within 1 s", "\(batch)")
        let left = try ProcessRunner.run(["pgrep", "-f", "sleep 37\\.(25|5)"], timeout: 10)
        #expect(left.stdout.isEmpty, "hook processes left: \(left.stdout)")
    }

    /// Adds source alice, target bob and topic ops (bob subscribed), then
    /// starts the server; returns the keys.
    private func aliceAndOps(_ server: TestServer) throws -> (alice: String, bob: String) {
        let alice = try server.addUser("alice", role: "source")
        let bob = try server.addUser("bob", role: "target")
        try server.batchctl(["topic", "add", "ops"]).expectSuccess()
        try server.batchctl(["topic", "subscribe", "ops", "bob"]).expectSuccess()
        try server.start()
        return (alice, bob)
    }
}
