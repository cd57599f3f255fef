import Foundation
import Testing

/// Everything a source must not be able to do is refused with a message
/// that says why, and nothing lands outside the drop area.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct RefusalTests {
    /// A server with source alice, target bob and topic ops.
    private func serverWithAlice() throws -> (TestServer, String) {
        try TestServer.withAliceBobAndOps()
    }

    private func sampleFile(in server: TestServer) throws -> String {
        let file = server.directory.appendingPathComponent("sample.txt")
        try Data("sample\n".utf8).write(to: file)
        return file.path
    }

    /// Nothing named like the sample file exists anywhere under the
    /// server's folder except the original.
    private func expectNoStrayCopies(_ server: TestServer) {
        let hits = Tree.listing(server.directory).filter { $0.hasSuffix("sample.txt") || $0.hasSuffix("escaped.txt") }
        #expect(hits == ["sample.txt"])
    }

    @Test(arguments: [
        "ops/../../escaped.txt", "ops/../escaped.txt", "ops/sub/../../escaped.txt", "../escaped.txt",
        "ops/..", "/../escaped.txt",
    ], [false, true])
    func parentPathEscapesAreRefused(target: String, legacy: Bool) throws {
        let (server, alice) = try serverWithAlice()
        defer { server.stop() }
        let result = try server.scp([try sampleFile(in: server), "alice@127.0.0.1:\(target)"], key: alice, legacy: legacy)
        #expect(!result.succeeded)
        #expect(result.stderr.contains("..") || result.stderr.contains("backslash") || result.stderr.contains("not allowed"))
        expectNoStrayCopies(server)
        #expect(try server.batches().allSatisfy { $0["state"] as? String != "sealed" })
    }

    @Test func backslashesInSFTPPathsAreRefused() throws {
        let (server, alice) = try serverWithAlice()
        defer { server.stop() }
        let result = try server.scp([try sampleFile(in: server), "alice@127.0.0.1:ops/a\\..\\escaped.txt"], key: alice)
        #expect(!result.succeeded)
        #expect(result.stderr.contains("backslash"))
        expectNoStrayCopies(server)
    }

    @Test(arguments: [false, true])
    func absolutePathOutsideATopicIsRefused(legacy: Bool) throws {
        let (server, alice) = try serverWithAlice()
        defer { server.stop() }
        let result = try server.scp([try sampleFile(in: server), "alice@127.0.0.1:/etc/escaped.txt"], key: alice, legacy: legacy)
        #expect(!result.succeeded)
        #expect(result.stderr.contains("topic 'etc' does not exist"))
        expectNoStrayCopies(server)
        #expect(!FileManager.default.fileExists(atPath: "/etc/escaped.txt"))
    }

    @Test(arguments: [false, true])
    func unknownTopicIsRefusedByName(legacy: Bool) throws {
        let (server, alice) = try serverWithAlice()
        defer { server.stop() }
        let result = try server.scp([try sampleFile(in: server), "alice@127.0.0.1:nosuch/"], key: alice, legacy: legacy)
        #expect(!result.succeeded)
        #expect(result.stderr.contains("topic 'nosuch' does not exist"))
        #expect(try server.batches().isEmpty)
    }

    @Test func unknownOrNonTargetRecipientIsRefused() throws {
        let (server, alice) = try serverWithAlice()
        defer { server.stop() }
        let unknown = try server.scp([try sampleFile(in: server), "alice@127.0.0.1:@bob,zed/"], key: alice)
        #expect(!unknown.succeeded)
        #expect(unknown.stderr.contains("zed"))
        let notTarget = try server.scp([try sampleFile(in: server), "alice@127.0.0.1:@alice/"], key: alice)
        #expect(!notTarget.succeeded)
        #expect(notTarget.stderr.contains("alice"))
        #expect(try server.batches().isEmpty)
    }

    @Test func symlinkAndHardlinkCreationAreRefused() throws {
        let (server, alice) = try serverWithAlice()
        defer { server.stop() }
        let sample = try sampleFile(in: server)
        let result = try server.sftp("alice", key: alice, batch: """
            put \(sample) ops/sample.txt
            -symlink /etc/passwd ops/link
            -ln ops/sample.txt ops/hard
            -symlink ops/sample.txt ops/link2
            """)
        try result.expectSuccess("sftp -b")
        #expect(result.stderr.contains("links are not allowed"))
        try server.waitForSettledBatches(1)
        let out = try Tree.extract(try #require(try server.batch(1)["archive"] as? String), into: server.directory)
        #expect(Tree.listing(out) == ["sample.txt"])
    }

    @Test func dropAreaIsWriteOnly() throws {
        let (server, alice) = try serverWithAlice()
        defer { server.stop() }
        let download = server.directory.appendingPathComponent("download")
        try FileManager.default.createDirectory(at: download, withIntermediateDirectories: true)
        let result = try server.sftp("alice", key: alice, batch: """
            put \(try sampleFile(in: server)) ops/sample.txt
            get ops/sample.txt \(download.path)/got.txt
            """)
        #expect(!result.succeeded)
        #expect(result.stderr.contains("write-only"))
        #expect(!FileManager.default.fileExists(atPath: download.appendingPathComponent("got.txt").path))
    }

    @Test func longNamesAndControlCharactersAreRefused() throws {
        let (server, alice) = try serverWithAlice()
        defer { server.stop() }
        let sample = try sampleFile(in: server)
        let long = String(repeating: "x", count: 256)
        let tooLong = try server.scp([sample, "alice@127.0.0.1:ops/\(long)"], key: alice)
        #expect(!tooLong.succeeded)
        #expect(tooLong.stderr.contains("longer than 255 bytes"))
        let control = try server.scp([sample, "alice@127.0.0.1:ops/bell\u{07}.txt"], key: alice)
        #expect(!control.succeeded)
        #expect(control.stderr.contains("control character"))
        #expect(try server.batches().allSatisfy { $0["state"] as? String != "sealed" })
    }

    @Test func unknownKeyCannotLogIn() throws {
        let (server, _) = try serverWithAlice()
        defer { server.stop() }
        let stranger = try server.makeKey("stranger")
        let asAlice = try server.scp([try sampleFile(in: server), "alice@127.0.0.1:ops/"], key: stranger)
        #expect(!asAlice.succeeded)
        #expect(asAlice.stderr.contains("Permission denied"))
        let asNobody = try server.ssh("nobody", key: stranger, ["batches"])
        #expect(asNobody.status == 255)
        #expect(asNobody.stderr.contains("Permission denied"))
        #expect(try server.batches().isEmpty)
    }

    @Test func keyProbeWithoutSignatureGrantsNothing() throws {
        let (server, _) = try serverWithAlice()
        defer { server.stop() }
        // Only alice's public key, no private key: ssh can offer it (the
        // server answers PK_OK) but can never sign.
        let probeDirectory = server.directory.appendingPathComponent("probe")
        try FileManager.default.createDirectory(at: probeDirectory, withIntermediateDirectories: true)
        let publicOnly = probeDirectory.appendingPathComponent("alice.pub").path
        try FileManager.default.copyItem(atPath: server.directory.appendingPathComponent("alice.pub").path, toPath: publicOnly)
        let result = try ProcessRunner.run(["ssh"] + server.sshOptions + ["-v", "-p", String(server.port), "-i", publicOnly,
                                            "alice@127.0.0.1", "batches"])
        #expect(result.status == 255)
        #expect(result.stderr.contains("Server accepts key"))
        #expect(result.stderr.contains("Permission denied"))
        #expect(!result.stdout.contains("ID"))
    }

    @Test func targetKeyCannotUpload() throws {
        let server = try TestServer()
        defer { server.stop() }
        let bob = try server.addUser("bob", role: "target")
        try server.batchctl(["topic", "add", "ops"]).expectSuccess()
        try server.start()
        let file = server.directory.appendingPathComponent("t.txt")
        try Data("t".utf8).write(to: file)
        #expect(!(try server.scp([file.path, "bob@127.0.0.1:ops/"], key: bob)).succeeded)
        let legacy = try server.scp([file.path, "bob@127.0.0.1:ops/"], key: bob, legacy: true)
        #expect(!legacy.succeeded)
        #expect(legacy.stderr.contains("role target"))
        #expect(try server.batches().isEmpty)
    }

    @Test func sourceCannotRunBatchctl() throws {
        let (server, alice) = try serverWithAlice()
        defer { server.stop() }
        let result = try server.ssh("alice", key: alice, ["batchctl", "user", "list"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("not allowed for a user with role source"))
        #expect(!result.stdout.contains("alice"))
    }

    @Test func shellPtyAndForwardingAreRefused() throws {
        let (server, alice) = try serverWithAlice()
        defer { server.stop() }
        let shell = try ProcessRunner.run(["ssh"] + server.sshOptions + ["-tt", "-p", String(server.port), "-i", alice, "alice@127.0.0.1"],
                                          timeout: 20)
        #expect(shell.status != 0)
        let forward = try ProcessRunner.run(["ssh"] + server.sshOptions + ["-o", "ExitOnForwardFailure=yes", "-N",
                                             "-L", "127.0.0.1:0:127.0.0.1:22", "-p", String(server.port), "-i", alice, "alice@127.0.0.1"],
                                            timeout: 20)
        #expect(forward.status != 0)
        // The server still serves the next client.
        #expect(try server.ssh("alice", key: alice, ["batches"]).succeeded)
    }

    @Test func incompleteUploadIsNotSealed() throws {
        let (server, alice) = try serverWithAlice()
        defer { server.stop() }
        let big = server.directory.appendingPathComponent("big.bin")
        try Tree.writeRandomFile(at: big, size: 64 << 20)
        // Kill scp mid-upload: its channel drops before the file completes.
        let process = try server.startScp(["-l", "8000", big.path, "alice@127.0.0.1:ops/"], key: alice)
        sleep(2)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let deadline = Date().addingTimeInterval(20)
        var batches: [[String: Any]] = []
        while Date() < deadline {
            batches = try server.batches()
            if batches.allSatisfy({ $0["state"] as? String != "open" }) { break }
            usleep(100_000)
        }
        #expect(batches.allSatisfy { $0["state"] as? String != "sealed" })
        #expect(batches.allSatisfy { $0["state"] as? String != "open" })
        // And the next drop works.
        try server.scp([try sampleFile(in: server), "alice@127.0.0.1:ops/"], key: alice).expectSuccess("scp after abort")
    }

    /// A client that asks for compression gets none: archives are compressed
    /// already, and zlib state would cost about 100 KB per connection.
    @Test func compressionIsNeverNegotiated() throws {
        let (server, alice) = try serverWithAlice()
        defer { server.stop() }
        let result = try ProcessRunner.run(
            ["ssh"] + server.sshOptions + ["-v", "-o", "Compression=yes", "-p", String(server.port), "-i", alice,
                                           "alice@127.0.0.1", "batches"], timeout: 30)
        try result.expectSuccess("ssh -o Compression=yes")
        let kex = result.stderr.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { $0.contains("kex: ") && $0.contains("compression:") }
        #expect(kex.count == 2, "\(result.stderr)")
        #expect(kex.allSatisfy { $0.hasSuffix("compression: none") }, "\(kex)")
    }
}

