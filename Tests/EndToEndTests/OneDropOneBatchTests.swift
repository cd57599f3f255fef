import Foundation
import Testing

/// One drop is one batch, whatever the client: sync tools with a pool of
/// connections, curl (libssh2), paramiko with several sessions, a script of
/// several `scp` runs sealed by `seal`, an upload resumed with `reput`
/// after its connection was lost. Each drop is exactly one batch, complete
/// and byte-exact against the source tree.
@Suite(.serialized, .timeLimit(.minutes(4)))
struct OneDropOneBatchTests {
    /// A folder of seven files of different sizes, one of them streamed (2 MB), and a subfolder.
    private func sourceTree(in server: TestServer) throws -> URL {
        let root = server.directory.appendingPathComponent("src-\(UUID().uuidString.prefix(8))").appendingPathComponent("tree")
        var files: [String: Data?] = ["sub/deep/note.txt": Data("deep\n".utf8), "empty.txt": Data()]
        for (index, size) in [100, 10_000, 70_000, 300_000, 2_000_000].enumerated() {
            files["f\(index).bin"] = Tree.random(size)
        }
        try Tree.make(at: root, files)
        return root
    }

    /// Waits for the one batch the drop made and compares its archive,
    /// extracted, with `tree` (as `ops/tree`); returns the batch.
    @discardableResult
    private func expectOneExactBatch(_ server: TestServer, of tree: URL, folder: String? = "tree") throws -> [String: Any] {
        let batches = try server.waitForSettledBatches(1)
        // A late second batch would show up within the quiet time.
        usleep(600_000)
        let all = try server.batches()
        #expect(all.count == 1, "the drop made \(all.count) batches: \(all)")
        let id = try #require(all.first?["id"] as? Int, "\(batches)")
        let batch = try server.batch(id)
        #expect(batch["state"] as? String == "sealed", "\(batch)\n\(server.logText)")
        let archive = try #require(batch["archive"] as? String)
        let out = try Tree.extract(archive, into: server.directory)
        let landed = folder.map { out.appendingPathComponent($0) } ?? out
        #expect(try Tree.difference(tree, landed) == nil)
        return batch
    }

    private func lftp(_ server: TestServer, key: String, _ script: String) throws -> ProcessResult {
        let connect = (["ssh", "-a", "-x"] + server.sshOptions + ["-i", key]).joined(separator: " ")
        return try ProcessRunner.run([
            "lftp", "-c",
            """
            set sftp:connect-program "\(connect)"; set net:max-retries 1; set cmd:fail-exit yes; \
            open -u alice, sftp://127.0.0.1:\(server.port); \(script)
            """,
        ], timeout: 120)
    }

    @Test(arguments: [1, 4])
    func lftpMirrorIsOneCompleteBatch(parallel: Int) throws {
        let (server, alice) = try TestServer.withAliceBobAndOps()
        defer { server.stop() }
        let tree = try sourceTree(in: server)
        let result = try lftp(server, key: alice, "mirror -R --parallel=\(parallel) \(tree.path) ops/tree")
        #expect(result.succeeded, "lftp: \(result.stdout)\(result.stderr)")
        try expectOneExactBatch(server, of: tree)
        if parallel > 1 {
            #expect(server.logText.components(separatedBy: "authenticated").count - 1 >= 2, "lftp used one connection")
        }
    }

    @Test func curlUploadsOverLibssh2() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps()
        defer { server.stop() }
        let tree = server.directory.appendingPathComponent("curl")
        try Tree.make(at: tree, ["a.bin": Tree.random(200_000), "b.txt": Data("curl\n".utf8)])
        for name in ["a.bin", "b.txt"] {
            let result = try ProcessRunner.run([
                "curl", "-sS", "--insecure", "--key", alice, "--pubkey", alice + ".pub", "-u", "alice:",
                "-T", tree.appendingPathComponent(name).path, "sftp://127.0.0.1:\(server.port)/ops/",
            ], timeout: 60)
            #expect(result.succeeded, "curl: \(result.stderr)")
        }
        // Two curl runs, one after the other within the quiet time: one batch.
        try expectOneExactBatch(server, of: tree, folder: nil)
    }

    @Test(arguments: [(connections: 1, sessions: 4), (connections: 4, sessions: 1), (connections: 3, sessions: 2)])
    func paramikoPoolsAreOneBatch(pool: (connections: Int, sessions: Int)) throws {
        let (server, alice) = try TestServer.withAliceBobAndOps()
        defer { server.stop() }
        let tree = try sourceTree(in: server)
        let result = try PythonClient.run("pooled_uploader.py", [
            "127.0.0.1", String(server.port), "alice", alice, tree.path, "ops/tree", String(pool.connections), String(pool.sessions),
        ], timeout: 120)
        #expect(result.succeeded, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("\"files\": 7"), "\(result.stdout)")
        try expectOneExactBatch(server, of: tree)
    }

    @Test func openSSHScpBothProtocolsAndSftpAreOneBatchEach() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps()
        defer { server.stop() }
        let tree = try sourceTree(in: server)
        try server.scp(["-r", tree.path, "alice@127.0.0.1:ops/"], key: alice).expectSuccess("scp")
        try expectOneExactBatch(server, of: tree)
        try server.scp(["-r", tree.path, "alice@127.0.0.1:ops/"], key: alice, legacy: true).expectSuccess("scp -O")
        try server.sftp("alice", key: alice, batch: "mkdir ops/tree\nput -r \(tree.path)/* ops/tree/\n").expectSuccess("sftp")
        let batches = try server.waitForSettledBatches(3)
        #expect(batches.count == 3, "\(batches)")
        for batch in batches {
            let id = try #require(batch["id"] as? Int)
            let archive = try #require(try server.batch(id)["archive"] as? String)
            let out = try Tree.extract(archive, into: server.directory)
            #expect(try Tree.difference(tree, out.appendingPathComponent("tree")) == nil)
        }
    }

    @Test func threeScpRunsWithExplicitSealAreOneBatchSealedBySeal() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps(extraConfig: "Match Topic ops\n    BatchSeal explicit")
        defer { server.stop() }
        let tree = try sourceTree(in: server)
        for name in ["f0.bin", "f3.bin", "f4.bin"] {
            try server.scp([tree.appendingPathComponent(name).path, "alice@127.0.0.1:ops/"], key: alice).expectSuccess("scp \(name)")
            usleep(400_000)  // past the quiet time: only `seal` seals it
        }
        try server.scp(["-O", tree.appendingPathComponent("f1.bin").path, "alice@127.0.0.1:ops/"], key: alice)
            .expectSuccess("scp -O: exits once its file is stored, without waiting for a seal")
        #expect(try server.batches().map { $0["state"] as? String } == ["open"])

        let sealed = try server.ssh("alice", key: alice, ["seal", "ops"])
        #expect(sealed.succeeded, "\(sealed.stderr)")
        let id = try #require(Int(sealed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "seal printed: \(sealed.stdout)")
        let batch = try server.batch(id)
        #expect(batch["state"] as? String == "sealed")
        let paths = TestServer.filePaths(of: batch).sorted()
        #expect(paths == ["f0.bin", "f1.bin", "f3.bin", "f4.bin"])
        #expect(try server.batches().count == 1)

        let again = try server.ssh("alice", key: alice, ["seal", "ops"])
        #expect(again.status == 1)
        #expect(again.stderr.contains("nothing to seal"), "\(again.stderr)")
        let json = try server.ssh("alice", key: alice, ["seal", "ops", "--json"])
        #expect(json.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["state"] as? String == "failed")
        #expect((object["error"] as? String)?.contains("nothing to seal") == true)
        #expect(try server.ssh("alice", key: alice, ["seal"]).status == 64)
        #expect(try server.ssh("alice", key: alice, ["seal", "nosuch/"]).status == 1)
        // What the client sent reaches its terminal escaped, in seal's
        // refusals as in every other command's.
        for words in [["seal", "\u{1b}[2J\u{9b}x"], ["\u{1b}]0;owned\u{07}"]] {
            let hostile = try server.ssh("alice", key: alice, words)
            #expect(hostile.status != 0)
            #expect(!hostile.stderr.contains("\u{1b}") && !hostile.stderr.contains("\u{9b}") && !hostile.stderr.contains("\u{07}"),
                    "\(hostile.stderr.debugDescription)")
            #expect(hostile.stderr.contains("\\e"), "\(hostile.stderr.debugDescription)")
        }
    }

    @Test func sealReportsTheHooksRefusalAndJSONTheId() throws {
        let server = try TestServer()
        let refuse = server.directory.appendingPathComponent("refuse.sh")
        try "#!/bin/sh\nif [ -e ./bad.txt ]; then echo \"bad.txt is not allowed\"; exit 3; fi\n"
            .write(to: refuse, atomically: true, encoding: .utf8)
        chmod(refuse.path, 0o755)
        server.extraConfig = "BatchSeal explicit\nPreSealHook \(refuse.path)"
        let alice = try server.addUser("alice", role: "source")
        _ = try server.addUser("bob", role: "target")
        try server.batchctl(["topic", "add", "ops"]).expectSuccess()
        try server.batchctl(["topic", "subscribe", "ops", "bob"]).expectSuccess()
        try server.start()
        defer { server.stop() }
        let files = server.directory.appendingPathComponent("files")
        try Tree.make(at: files, ["bad.txt": Data("x".utf8), "good.txt": Data("y".utf8)])
        try server.scp([files.appendingPathComponent("bad.txt").path, "alice@127.0.0.1:ops/"], key: alice).expectSuccess()
        let refused = try server.ssh("alice", key: alice, ["seal", "ops"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("was not sealed: rejected by the pre-seal hook (exit 3): bad.txt is not allowed"),
                "\(refused.stderr)")

        try server.scp([files.appendingPathComponent("good.txt").path, "alice@127.0.0.1:@bob/"], key: alice).expectSuccess()
        let sealed = try server.ssh("alice", key: alice, ["seal", "@bob", "--json"])
        #expect(sealed.succeeded, "\(sealed.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(sealed.stdout.utf8)) as? [String: Any])
        #expect(object["state"] as? String == "sealed")
        let id = try #require(object["id"] as? Int)
        #expect(try server.batch(id)["state"] as? String == "sealed")
    }

    @Test func aCutOffUploadIsResumedWithReputAndTheArchiveHoldsEveryByteOnce() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps(extraConfig: "BatchResumeTime 60")
        defer { server.stop() }
        let local = server.directory.appendingPathComponent("resume")
        try Tree.make(at: local, ["small.txt": Data("small\n".utf8)])
        try Tree.writeRandomFile(at: local.appendingPathComponent("big.bin"), size: 3_000_000)
        let cut = try PythonClient.run("cut_off_uploader.py", [
            "127.0.0.1", String(server.port), "alice", alice, local.appendingPathComponent("big.bin").path, "ops/big.bin",
            String(1_048_576),
        ])
        #expect(cut.stdout.contains("cut off"), "\(cut.stderr)")
        // The connection is gone, the batch waits for its client to come
        // back (BatchResumeTime), and the file is kept to its gap-free part.
        usleep(800_000)
        #expect(try server.batches().map { $0["state"] as? String } == ["open"])
        let stat = try server.sftp("alice", key: alice, batch: "ls -l ops/big.bin\n")
        #expect(stat.stdout.contains("1048576"), "\(stat.stdout)")

        // The copy `reput` sends differs in what the server already has:
        // if it started over, the archive would hold its zeros.
        let original = try Data(contentsOf: local.appendingPathComponent("big.bin"))
        let again = server.directory.appendingPathComponent("again.bin")
        try (Data(count: 1_048_576) + original.dropFirst(1_048_576)).write(to: again)
        let resumed = try server.sftp("alice", key: alice, batch: """
            reput \(again.path) ops/big.bin
            put \(local.appendingPathComponent("small.txt").path) ops/small.txt
            """)
        #expect(resumed.succeeded, "\(resumed.stdout)\(resumed.stderr)")
        try expectOneExactBatch(server, of: local, folder: nil)
    }

    @Test func aKilledSftpPutIsFinishedByReput() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps(extraConfig: "BatchResumeTime 60")
        defer { server.stop() }
        let local = server.directory.appendingPathComponent("killed")
        try FileManager.default.createDirectory(at: local, withIntermediateDirectories: true)
        let big = local.appendingPathComponent("big.bin")
        try Tree.writeRandomFile(at: big, size: 200_000_000)
        let script = server.directory.appendingPathComponent("put.batch")
        try "put \(big.path) ops/big.bin\n".write(to: script, atomically: true, encoding: .utf8)
        let sftp = try server.startSftp("alice", key: alice, batchFile: script.path)
        // Killed once some of it is staged, with writes still in flight.
        let staged = server.stateDirectory + "/staging/1/1.part"
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, ((try? FileManager.default.attributesOfItem(atPath: staged)[.size] as? Int) ?? 0) < 20_000_000 {
            usleep(5_000)
        }
        kill(sftp.processIdentifier, SIGKILL)
        sftp.waitUntilExit()
        usleep(500_000)
        #expect(try server.batches().map { $0["state"] as? String } == ["open"])

        let resumed = try server.sftp("alice", key: alice, batch: "reput \(big.path) ops/big.bin\n", timeout: 180)
        #expect(resumed.succeeded, "\(resumed.stdout)\(resumed.stderr)")
        try expectOneExactBatch(server, of: local, folder: nil)
    }

    @Test func aCutOffUploadNotResumedIsLeftOutAndTheRestSeals() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps(extraConfig: "BatchResumeTime 1")
        defer { server.stop() }
        let local = server.directory.appendingPathComponent("left")
        try Tree.make(at: local, ["kept.txt": Data("kept\n".utf8)])
        try Tree.writeRandomFile(at: local.appendingPathComponent("big.bin"), size: 600_000)
        try server.scp([local.appendingPathComponent("kept.txt").path, "alice@127.0.0.1:ops/"], key: alice).expectSuccess()
        let cut = try PythonClient.run("cut_off_uploader.py", [
            "127.0.0.1", String(server.port), "alice", alice, local.appendingPathComponent("big.bin").path, "ops/big.bin", "200000",
        ])
        #expect(cut.stdout.contains("cut off"))
        let batches = try server.waitForSettledBatches(1, timeout: 20)
        #expect(batches.count == 1)
        let id = try #require(batches.first?["id"] as? Int)
        let batch = try server.batch(id)
        #expect(batch["state"] as? String == "sealed")
        let paths = TestServer.filePaths(of: batch)
        #expect(paths == ["kept.txt"], "\(batch)")
        #expect(server.logText.contains("incomplete files left out of the batch"))
    }

    @Test func everyConnectionSeesTheFoldersAndFilesOfTheOthers() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps(extraConfig: "BatchSeal explicit")
        defer { server.stop() }
        try server.sftp("alice", key: alice, batch: "mkdir ops/made-here\n").expectSuccess("mkdir")
        let local = server.directory.appendingPathComponent("seen.txt")
        try Data("seen\n".utf8).write(to: local)
        try server.sftp("alice", key: alice, batch: "put \(local.path) ops/made-here/seen.txt\n").expectSuccess("put")
        let listed = try server.sftp("alice", key: alice, batch: "ls -l ops/made-here\n")
        #expect(listed.stdout.contains("seen.txt"), "\(listed.stdout)")
        try server.sftp("alice", key: alice, batch: "rename ops/made-here/seen.txt ops/made-here/renamed.txt\n")
            .expectSuccess("rename on a third connection")
        let sealed = try server.ssh("alice", key: alice, ["seal", "ops"])
        let id = try #require(Int(sealed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "\(sealed.stderr)")
        let paths = TestServer.filePaths(of: try server.batch(id))
        #expect(paths == ["made-here/renamed.txt"])
    }

    @Test func aClientWithoutEd25519LogsInWithTheRSAHostKeyThatBatchctlPrints() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps()
        defer { server.stop() }
        let known = server.directory.appendingPathComponent("known_hosts")
        let login = try ProcessRunner.run(["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
                                           "-o", "StrictHostKeyChecking=accept-new", "-o", "UserKnownHostsFile=\(known.path)",
                                           "-o", "HostKeyAlgorithms=rsa-sha2-512,rsa-sha2-256", "-p", String(server.port), "-i", alice,
                                           "alice@127.0.0.1", "batches"])
        #expect(login.succeeded, "\(login.stderr)")
        let pinned = try String(contentsOf: known, encoding: .utf8)
        #expect(pinned.contains("ssh-rsa AAAA"), "\(pinned)")
        let printed = try ProcessRunner.run([server.bin.appendingPathComponent("batchctl").path, "--config",
                                             server.directory.appendingPathComponent("batchd.conf").path, "host-key", "--json"])
        try printed.expectSuccess()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(printed.stdout.utf8)) as? [String: Any])
        #expect(object["type"] as? String == "ssh-ed25519")
        let keys = (object["keys"] as? [[String: Any]]) ?? []
        #expect(keys.compactMap { $0["type"] as? String } == ["ssh-ed25519", "ssh-rsa"])
        let rsaLine = try #require(keys.last?["public_key"] as? String)
        #expect(pinned.contains(rsaLine), "known_hosts holds the key batchctl prints")
    }

    @Test func theDefaultQuietTimeHoldsTheSealForTwoSeconds() throws {
        let server = try TestServer()
        server.quietTime = nil
        let alice = try server.addUser("alice", role: "source")
        _ = try server.addUser("bob", role: "target")
        try server.batchctl(["topic", "add", "ops"]).expectSuccess()
        try server.batchctl(["topic", "subscribe", "ops", "bob"]).expectSuccess()
        try server.start()
        defer { server.stop() }
        let local = server.directory.appendingPathComponent("q.txt")
        try Data("q\n".utf8).write(to: local)
        try server.scp([local.path, "alice@127.0.0.1:ops/"], key: alice).expectSuccess()
        let closed = Date()
        usleep(1_200_000)
        #expect(try server.batches().map { $0["state"] as? String } == ["open"], "sealed before the quiet time passed")
        _ = try server.waitForSettledBatches(1, timeout: 20)
        #expect(Date().timeIntervalSince(closed) >= 1.9)
    }
}
