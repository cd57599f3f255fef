import Foundation
import Testing

/// A full disk loses nothing and seals nothing broken: a file whose write
/// failed is left out of its batch even when the client then closes it;
/// an archive that cannot be written keeps the batch's staged files, and
/// the next start seals it. Staging and archives sit on small tmpfs mounts
/// (root only, as CI runs).
@Suite(.serialized, .timeLimit(.minutes(3)), .enabled(if: getuid() == 0))
struct DiskFullTests {
    /// Mounts a tmpfs of `size` at `path`, created if needed.
    private static func mountTmpfs(_ path: String, size: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try ProcessRunner.run(["mount", "-t", "tmpfs", "-o", "size=\(size)", "tmpfs", path]).expectSuccess("mount tmpfs")
    }

    private static func unmount(_ path: String) {
        _ = try? ProcessRunner.run(["umount", "-l", path])
    }

    /// Runs `body` with a started server whose state subfolder `folder`
    /// is a tmpfs of `size`, source alice and topic ops; unmounts, then
    /// stops the server and removes its folder.
    private static func withTmpfs(at folder: String, size: String, _ body: (TestServer, _ alice: String, _ mount: String) throws -> Void) throws {
        let server = try TestServer()
        defer { server.stop() }
        let mount = server.stateDirectory + "/" + folder
        try mountTmpfs(mount, size: size)
        defer { unmount(mount) }
        let alice = try server.addUser("alice", role: "source")
        try server.batchctl(["topic", "add", "ops"]).expectSuccess()
        try server.start()
        try body(server, alice, mount)
    }

    @Test func aFileWhoseWriteFailedIsLeftOutEvenWhenTheClientClosesIt() throws {
        try Self.withTmpfs(at: "staging", size: "1m") { server, alice, _ in
            let big = server.directory.appendingPathComponent("big.bin")
            let small = server.directory.appendingPathComponent("small.txt")
            try Tree.writeRandomFile(at: big, size: 2 << 20)
            try Data("small\n".utf8).write(to: small)
            // `-put` goes on after a failure, as a sync tool would.
            let result = try server.sftp("alice", key: alice, batch: "-put \(big.path) ops/\n-put \(small.path) ops/\n")
            #expect(result.stderr.contains("could not store"), "\(result.stderr)")
            let id = try #require(try server.waitForSettledBatches(1).first?["id"] as? Int, "\(result.stderr)\n\(server.logText)")
            let batch = try server.batch(id)
            #expect(batch["state"] as? String == "sealed", "\(batch)\n\(server.logText)")
            let paths = TestServer.filePaths(of: batch)
            #expect(paths == ["small.txt"], "\(batch)")
        }
    }

    @Test func aSealThatCannotWriteItsArchiveKeepsTheFilesAndTheNextStartSealsIt() throws {
        try Self.withTmpfs(at: "archives", size: "256k") { server, alice, archives in
            let file = server.directory.appendingPathComponent("data.bin")
            try Tree.writeRandomFile(at: file, size: 600_000)
            let refused = try server.scp([file.path, "alice@127.0.0.1:ops/"], key: alice, legacy: true)
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("batchd seals it when it next starts"), "\(refused.stderr)\n\(server.logText)")
            #expect(!server.logText.contains("batch sealed"))
            let staged = try FileManager.default.subpathsOfDirectory(atPath: server.stateDirectory + "/staging")
            #expect(staged.contains { $0.hasSuffix(".part") }, "\(staged)")

            // Room again, and a restart: the batch is sealed from what was kept.
            try ProcessRunner.run(["mount", "-o", "remount,size=16m", archives]).expectSuccess("remount")
            let port = server.port
            server.terminate()
            try server.start(port: port)
            try server.waitForLog("batch sealed after restart")
            let id = try #require(try server.waitForSettledBatches(1).first?["id"] as? Int)
            let batch = try server.batch(id)
            #expect(batch["state"] as? String == "sealed", "\(batch)")
            let out = try Tree.extract(try #require(batch["archive"] as? String), into: server.directory.appendingPathComponent("x"))
            #expect(try Data(contentsOf: out.appendingPathComponent("data.bin")) == Data(contentsOf: file))
        }
    }
}
