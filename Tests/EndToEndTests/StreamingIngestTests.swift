import Foundation
import Testing

/// A large file is archived while it uploads. Whatever a client does to it
/// meanwhile (writes out of order, leaves it unfinished, opens another file
/// beside it), the sealed archive holds exactly the files as they ended.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct StreamingIngestTests {
    private let chunk = 200_000

    /// Writes of `data` at `offset` to `handle`, in chunks the server takes.
    private func writes(_ data: [UInt8], at offset: Int, handle: [UInt8], firstId: UInt32) -> (bytes: [UInt8], nextId: UInt32) {
        var bytes: [UInt8] = []
        var id = firstId
        for start in stride(from: 0, to: data.count, by: chunk) {
            let piece = Array(data[start..<min(start + chunk, data.count)])
            bytes += RawSFTP.write(id: id, handle: handle, offset: UInt64(offset + start), piece)
            id += 1
        }
        return (bytes, id)
    }

    /// Runs one SFTP session of `requests` as alice; every request must succeed.
    private func session(_ server: TestServer, _ key: String, _ requests: [UInt8], lastId: UInt32) throws {
        let result = try ProcessRunner.run(
            ["ssh"] + server.sshOptions + ["-p", String(server.port), "-i", key, "-s", "alice@127.0.0.1", "sftp"],
            stdin: Data(RawSFTP.initialize + requests), timeout: 60)
        let replies = RawSFTP.replies(in: result.stdoutData)
        let failed = replies.filter { $0.type == 101 && $0.status != 0 }
        #expect(failed.isEmpty, "refused: \(failed.map { ($0.id, $0.status ?? 0) })")
        #expect(replies.contains { $0.id == lastId }, "no reply to the last request: \(result.stderr)")
    }

    private func sealedFiles(_ server: TestServer) throws -> (paths: [String], folder: URL) {
        let batches = try server.waitForSettledBatches(1)
        let id = try #require(batches.first?["id"] as? Int)
        let batch = try server.batch(id)
        #expect(batch["state"] as? String == "sealed", "\(batch)\n\(server.logText)")
        let paths = TestServer.filePaths(of: batch)
        let folder = try Tree.extract(try #require(batch["archive"] as? String), into: server.directory)
        return (paths, folder)
    }

    @Test func aWriteBehindTheStreamRebuildsTheArchiveWithTheFinalBytes() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps(extraConfig: "LogLevel debug")
        defer { server.stop() }
        let handle = SFTPHandleBytes.first
        var expected = [UInt8](Tree.random(1_800_000))
        let patch = [UInt8](Tree.random(50_000))
        var requests = RawSFTP.open(id: 1, "ops/f.bin")
        let first = writes(expected, at: 0, handle: handle, firstId: 2)
        requests += first.bytes
        // Streaming began past 1 MiB; this write lands inside what it took.
        requests += RawSFTP.write(id: first.nextId, handle: handle, offset: 300_000, patch)
        expected.replaceSubrange(300_000..<350_000, with: patch)
        requests += RawSFTP.close(id: first.nextId + 1, handle: handle)
        try session(server, alice, requests, lastId: first.nextId + 1)

        let (paths, folder) = try sealedFiles(server)
        #expect(paths == ["f.bin"])
        #expect(try [UInt8](Data(contentsOf: folder.appendingPathComponent("f.bin"))) == expected)
        #expect(server.logText.contains("archiving a file as it uploads"))
        #expect(server.logText.contains("changed behind the archiver"))
        #expect(server.logText.contains("the archive is built again from staging"))
    }

    @Test func anUnfinishedStreamedFileIsLeftOutAndTheRestIsKept() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps(extraConfig: "LogLevel debug")
        defer { server.stop() }
        let small = [UInt8](Data("kept\n".utf8))
        var requests = RawSFTP.open(id: 1, "ops/small.txt")
        requests += RawSFTP.write(id: 2, handle: SFTPHandleBytes.first, offset: 0, small)
        requests += RawSFTP.close(id: 3, handle: SFTPHandleBytes.first)
        requests += RawSFTP.open(id: 4, "ops/big.bin")
        // Two MiB streamed, never closed: the session just ends.
        let big = writes([UInt8](Tree.random(2_100_000)), at: 0, handle: SFTPHandleBytes.second, firstId: 5)
        requests += big.bytes
        try session(server, alice, requests, lastId: big.nextId - 1)

        let (paths, folder) = try sealedFiles(server)
        #expect(paths == ["small.txt"])
        #expect(Tree.listing(folder) == ["small.txt"])
        #expect(try [UInt8](Data(contentsOf: folder.appendingPathComponent("small.txt"))) == small)
        #expect(server.logText.contains("incomplete files left out of the batch"))
        #expect(server.logText.contains("archiving a file as it uploads"))
        #expect(server.logText.contains("the archive is built again from staging"))
    }

    @Test(arguments: [true, false])
    func legacyScpAnnouncesTheSizeSoTheHeaderIsWrittenAtOnce(preserve: Bool) throws {
        let (server, alice) = try TestServer.withAliceBobAndOps(extraConfig: "LogLevel debug")
        defer { server.stop() }
        let source = server.directory.appendingPathComponent("src")
        try Tree.make(at: source, ["big.bin": Tree.random(3_000_000), "small.txt": Data("small\n".utf8)])
        let mtime = Date(timeIntervalSince1970: 1_500_000_000)
        try FileManager.default.setAttributes([.modificationDate: mtime], ofItemAtPath: source.appendingPathComponent("big.bin").path)
        try server.scp((preserve ? ["-p"] : []) + ["-r", source.path, "alice@127.0.0.1:ops/"], key: alice, legacy: true)
            .expectSuccess("scp -O")
        let (paths, folder) = try sealedFiles(server)
        #expect(Set(paths) == ["src/big.bin", "src/small.txt"])
        #expect(try Tree.difference(source, folder.appendingPathComponent("src")) == nil)
        if preserve {
            let restored = try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("src/big.bin").path)
            #expect((restored[.modificationDate] as? Date) == mtime)
        }
        #expect(server.logText.contains("archiving a file as it uploads"))
        #expect(!server.logText.contains("the archive is built again from staging"))
    }

    @Test func filesCompletedBesideAStreamFollowItInTheArchive() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps(extraConfig: "LogLevel debug")
        defer { server.stop() }
        let big = [UInt8](Tree.random(2_500_000))
        let beside = [UInt8](Data("written while big.bin streamed\n".utf8))
        var requests = RawSFTP.open(id: 1, "ops/big.bin")
        let firstHalf = writes(Array(big[..<1_400_000]), at: 0, handle: SFTPHandleBytes.first, firstId: 2)
        requests += firstHalf.bytes
        var id = firstHalf.nextId
        requests += RawSFTP.open(id: id, "ops/beside.txt")
        requests += RawSFTP.write(id: id + 1, handle: SFTPHandleBytes.second, offset: 0, beside)
        requests += RawSFTP.close(id: id + 2, handle: SFTPHandleBytes.second)
        id += 3
        let secondHalf = writes(Array(big[1_400_000...]), at: 1_400_000, handle: SFTPHandleBytes.first, firstId: id)
        requests += secondHalf.bytes
        requests += RawSFTP.close(id: secondHalf.nextId, handle: SFTPHandleBytes.first)
        try session(server, alice, requests, lastId: secondHalf.nextId)

        let (paths, folder) = try sealedFiles(server)
        // The catalogue lists files in archive order: the streamed file took
        // its place when it began.
        #expect(paths == ["big.bin", "beside.txt"])
        let listed = try ProcessRunner.run(["tar", "-tzf", try #require(try server.batch(1)["archive"] as? String)])
        #expect(listed.stdout == "big.bin\nbeside.txt\n")
        #expect(try [UInt8](Data(contentsOf: folder.appendingPathComponent("big.bin"))) == big)
        #expect(try [UInt8](Data(contentsOf: folder.appendingPathComponent("beside.txt"))) == beside)
        #expect(server.logText.contains("archiving a file as it uploads"))
        #expect(!server.logText.contains("the archive is built again from staging"), "streamed without a rebuild")
    }
}

/// The handles batchd gives a channel's first and second OPEN: numbers
/// from 1, four bytes big-endian.
private enum SFTPHandleBytes {
    static let first: [UInt8] = [0, 0, 0, 1]
    static let second: [UInt8] = [0, 0, 0, 2]
}
