import Foundation
import Testing

/// Drops made with the stock OpenSSH clients become one archive per batch
/// that restores every file byte for byte.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct IngestTests {
    @Test(arguments: [false, true])
    func singleFileDropIsSealedAndRestoredExactly(legacy: Bool) throws {
        let (server, alice) = try TestServer.withAliceBobAndOps()
        defer { server.stop() }

        let source = server.directory.appendingPathComponent("src")
        try Tree.make(at: source, ["report.pdf": Tree.random(70_000)])
        try server.scp([source.appendingPathComponent("report.pdf").path, "alice@127.0.0.1:ops/"], key: alice, legacy: legacy)
            .expectSuccess("scp")

        let batches = try server.waitForSettledBatches(1)
        #expect(batches.count == 1)
        let batch = try server.batch(1)
        #expect(batch["state"] as? String == "sealed")
        #expect(batch["topic"] as? String == "ops")
        #expect(batch["source"] as? String == "alice")
        let files = try #require(batch["files"] as? [[String: Any]])
        #expect(files.map { $0["path"] as? String } == ["report.pdf"])
        #expect(files.first?["size"] as? Int == 70_000)
        let targets = try #require(batch["targets"] as? [[String: Any]])
        #expect(targets.map { $0["user"] as? String } == ["bob"])
        let archive = try #require(batch["archive"] as? String)
        let out = try Tree.extract(archive, into: server.directory)
        #expect(try Tree.difference(source, out) == nil)

        #expect(try Tree.sha256(archive) == batch["sha256"] as? String)
        let size = try FileManager.default.attributesOfItem(atPath: archive)[.size] as? Int
        #expect(size == batch["size"] as? Int)
    }

    @Test(arguments: [false, true])
    func recursiveTreeWithEmptyFilesAndFoldersIsRestored(legacy: Bool) throws {
        let (server, alice) = try TestServer.withAliceBobAndOps()
        defer { server.stop() }

        let source = server.directory.appendingPathComponent("src")
        let long = String(repeating: "n", count: 120)
        try Tree.make(at: source.appendingPathComponent("build"), [
            "a.txt": Data("alpha\n".utf8),
            "empty.txt": Data(),
            "sub/deeper/b.bin": Tree.random(300_000),
            "sub/c.txt": Data(String(repeating: "line\n", count: 10_000).utf8),
            "empty-folder": nil,
            "\(long)/\(long).txt": Data("long names\n".utf8),
            "café/résumé ünï.txt": Data("unicode\n".utf8),
        ])
        try server.scp(["-r", source.appendingPathComponent("build").path, "alice@127.0.0.1:ops/"], key: alice, legacy: legacy)
            .expectSuccess("scp -r")

        try server.waitForSettledBatches(1)
        let batch = try server.batch(1)
        #expect(batch["state"] as? String == "sealed")
        let files = try #require(batch["files"] as? [[String: Any]])
        #expect(files.count == 6)
        let out = try Tree.extract(try #require(batch["archive"] as? String), into: server.directory)
        #expect(try Tree.difference(source, out) == nil)
    }

    @Test func manyFilesInOneScpAreOneBatch() throws {
        let server = try TestServer()
        defer { server.stop() }
        let alice = try server.addUser("alice", role: "source")
        try server.addUser("bob", role: "target")
        try server.addUser("carol", role: "target")
        try server.start()

        let source = server.directory.appendingPathComponent("src")
        var files: [String: Data?] = [:]
        for i in 0..<40 { files["f\(i).dat"] = Tree.random(1000 + i * 37) }
        try Tree.make(at: source, files)
        let paths = (0..<40).map { source.appendingPathComponent("f\($0).dat").path }
        try server.scp(paths + ["alice@127.0.0.1:@bob,carol/"], key: alice).expectSuccess("scp")

        try server.waitForSettledBatches(1)
        let batch = try server.batch(1)
        #expect((batch["files"] as? [[String: Any]])?.count == 40)
        #expect(batch["topic"] is NSNull)
        let targets = (batch["targets"] as? [[String: Any]])?.compactMap { $0["user"] as? String }
        #expect(targets == ["bob", "carol"])
        let out = try Tree.extract(try #require(batch["archive"] as? String), into: server.directory)
        #expect(try Tree.difference(source, out) == nil)
    }

    @Test func largeFileDropIsByteIdentical() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps()
        defer { server.stop() }

        let source = server.directory.appendingPathComponent("src")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        try Tree.writeRandomFile(at: source.appendingPathComponent("big.bin"), size: 200_000_000)
        try server.scp([source.appendingPathComponent("big.bin").path, "alice@127.0.0.1:ops/"], key: alice, timeout: 240)
            .expectSuccess("scp")

        try server.waitForSettledBatches(1, timeout: 120)
        let batch = try server.batch(1)
        #expect(batch["state"] as? String == "sealed")
        // Random data is stored, not deflated: the archive is barely larger.
        let size = try #require(batch["size"] as? Int)
        #expect(size > 200_000_000 && size < 200_200_000)
        #expect((batch["piece_count"] as? Int) == (size + (4 << 20) - 1) / (4 << 20))
        let out = try Tree.extract(try #require(batch["archive"] as? String), into: server.directory)
        #expect(try Tree.difference(source, out) == nil)
    }

    @Test func sftpBatchWithMkdirAndRenameAfterUploadKeepsFinalNames() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps()
        defer { server.stop() }

        let source = server.directory.appendingPathComponent("src")
        try Tree.make(at: source, ["a.txt": Data("first\n".utf8), "b.txt": Tree.random(5000), "gone.txt": Data("x".utf8)])
        let result = try server.sftp("alice", key: alice, batch: """
            cd ops
            mkdir reports
            put \(source.path)/a.txt reports/a.txt.filepart
            rename reports/a.txt.filepart reports/a.txt
            put \(source.path)/b.txt b.txt
            put \(source.path)/gone.txt gone.txt
            rm gone.txt
            ls reports
            """)
        try result.expectSuccess("sftp -b")
        #expect(result.stdout.contains("a.txt"))

        try server.waitForSettledBatches(1)
        let batch = try server.batch(1)
        let paths = TestServer.filePaths(of: batch).sorted()
        #expect(paths == ["b.txt", "reports/a.txt"])
        let out = try Tree.extract(try #require(batch["archive"] as? String), into: server.directory)
        #expect(Tree.listing(out) == ["b.txt", "reports", "reports/a.txt"])
        #expect(try Data(contentsOf: out.appendingPathComponent("reports/a.txt")) == Data("first\n".utf8))
        #expect(try Data(contentsOf: out.appendingPathComponent("b.txt")) == Data(contentsOf: source.appendingPathComponent("b.txt")))
    }

    @Test func sourceListsItsOwnBatchesOverSSH() throws {
        let server = try TestServer()
        defer { server.stop() }
        let alice = try server.addUser("alice", role: "source")
        let dan = try server.addUser("dan", role: "source")
        try server.addUser("bob", role: "target")
        try server.start()

        let file = server.directory.appendingPathComponent("n.txt")
        try Data("note\n".utf8).write(to: file)
        try server.scp([file.path, "alice@127.0.0.1:@bob/"], key: alice).expectSuccess()
        try server.scp([file.path, "dan@127.0.0.1:@bob/"], key: dan).expectSuccess()
        try server.waitForSettledBatches(2)

        let listing = try server.ssh("alice", key: alice, ["batches", "--json"])
        try listing.expectSuccess("batches --json")
        let batches = try #require(try JSONSerialization.jsonObject(with: Data(listing.stdout.utf8)) as? [[String: Any]])
        #expect(batches.count == 1)
        #expect(batches.first?["source"] as? String == "alice")
        let text = try server.ssh("alice", key: alice, ["batches"])
        try text.expectSuccess("batches")
        #expect(text.stdout.contains("sealed"))
    }

    @Test func adminRunsBatchctlRemotely() throws {
        let server = try TestServer()
        defer { server.stop() }
        let admin = try server.addUser("root", role: "admin")
        try server.start()

        let newKey = try server.makeKey("erin")
        let keyText = try Data(contentsOf: URL(fileURLWithPath: newKey + ".pub"))
        let add = try ProcessRunner.run(["ssh"] + server.sshOptions + ["-p", String(server.port), "-i", admin,
                                         "root@127.0.0.1", "batchctl", "user", "add", "erin", "--role", "target", "--key", "-"],
                                        stdin: keyText)
        try add.expectSuccess("remote user add")
        let list = try server.ssh("root", key: admin, ["batchctl", "user", "list", "--json"])
        try list.expectSuccess("remote user list")
        #expect(list.stdout.contains("\"erin\""))
        let usage = try server.ssh("root", key: admin, ["batchctl", "frobnicate"])
        #expect(usage.status == 64)
        #expect(usage.stderr.split(separator: "\n").count == 1)
    }
}
