import Foundation
import Testing

/// `batchctl batch verify` on a real sealed archive: intact, then with one
/// byte changed, then gone.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct VerifyTests {
    @Test func verifyFindsTheCorruptPieceAndTheMissingArchive() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps(extraConfig: "PieceSize 1M")
        defer { server.stop() }
        let admin = try server.addUser("root", role: "admin")
        let file = server.directory.appendingPathComponent("payload.bin")
        try Tree.writeRandomFile(at: file, size: 3_500_000)
        try server.scp([file.path, "alice@127.0.0.1:ops/"], key: alice).expectSuccess("scp")
        try server.waitForSettledBatches(1)
        let batch = try server.batch(1)
        let archive = try #require(batch["archive"] as? String)
        let pieces = try #require(batch["piece_count"] as? Int)
        let size = try #require(batch["size"] as? Int)
        #expect(pieces == 4)

        let ok = try server.batchctl(["batch", "verify"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout == "batch 1: ok (\(size) bytes, 4 pieces)\n")
        // Off a terminal, standard error stays empty: no progress bar.
        #expect(ok.stderr.isEmpty)
        // An admin over ssh gets the same answer.
        let remote = try server.ssh("root", key: admin, ["batchctl", "batch", "verify", "1"])
        #expect(remote.status == 0)
        #expect(remote.stdout == ok.stdout)

        // One byte of the third piece changes on disk.
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: archive))
        try handle.seek(toOffset: 2 * 1_048_576 + 12_345)
        let byte = try #require(try handle.read(upToCount: 1)?.first)
        try handle.seek(toOffset: 2 * 1_048_576 + 12_345)
        try handle.write(contentsOf: Data([byte ^ 0x40]))
        try handle.close()
        let corrupt = try server.batchctl(["batch", "verify", "1"])
        #expect(corrupt.status == 1)
        #expect(corrupt.stdout == "batch 1: corrupt: piece 2 of 4 differs from the recorded SHA-256\n")
        #expect(corrupt.stderr == "batchctl: 1 of 1 batch failed verification\n")

        try FileManager.default.removeItem(atPath: archive)
        let missing = try server.batchctl(["batch", "verify"])
        #expect(missing.status == 1)
        #expect(missing.stdout == "batch 1: missing: \(archive) is not there\n")
        let json = try server.batchctl(["batch", "verify", "--json"])
        let list = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(list.first?["result"] as? String == "missing")
    }
}
