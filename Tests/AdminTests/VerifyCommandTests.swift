import BatchArchive
import BatchServer
import BatchStore
import Foundation
import Testing

/// `batchctl batch verify`: each sealed archive re-read against its record.
@Suite struct VerifyCommandTests {
    /// Seals `count` batches whose archives are real files of `size` random
    /// bytes in 1000-byte pieces, recorded truly. Returns their ids.
    private func sealArchives(_ harness: AdminHarness, count: Int, size: Int = 5000) throws -> [Int64] {
        let catalogue = try harness.catalogue()
        let layout = StateLayout(directory: harness.state)
        try FileManager.default.createDirectory(atPath: layout.archives, withIntermediateDirectories: true)
        if try catalogue.access()["bob"]?.role == nil { try catalogue.addUser(name: "bob", role: .target, keys: []) }
        var ids: [Int64] = []
        for _ in 0..<count {
            let id = try catalogue.openBatch(source: "alice", destination: .users(["bob"]))
            let bytes = (0..<size).map { _ in UInt8.random(in: 0...255) }
            let path = layout.archive(batch: id)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            var hasher = PieceHasher(pieceSize: 1000)
            bytes.withUnsafeBytes { hasher.update($0) }
            let digests = hasher.finalize()
            try catalogue.sealBatch(id: id, archivePath: path,
                                    summary: SealInfo(size: Int64(size), sha256: digests.sha256, pieceSize: 1000, pieces: digests.pieces),
                                    files: [])
            ids.append(id)
        }
        return ids
    }

    private func flipByte(at offset: UInt64, of path: String) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: offset)
        let byte = try #require(try handle.read(upToCount: 1)?.first)
        try handle.seek(toOffset: offset)
        try handle.write(contentsOf: Data([byte ^ 0xFF]))
    }

    @Test func intactArchivesPassAndExitZero() throws {
        let harness = try AdminHarness()
        let ids = try sealArchives(harness, count: 2)
        let result = harness.run(["batch", "verify"])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output == ids.map { "batch \($0): ok (5000 bytes, 5 pieces)\n" }.joined())
        #expect(result.errors.isEmpty)
    }

    @Test func corruptPieceAndMissingArchiveAreNamedAndFail() throws {
        let harness = try AdminHarness()
        let ids = try sealArchives(harness, count: 3)
        let layout = StateLayout(directory: harness.state)
        try flipByte(at: 2500, of: layout.archive(batch: ids[1]))
        try FileManager.default.removeItem(atPath: layout.archive(batch: ids[2]))

        let result = harness.run(["batch", "verify"])
        #expect(result.status == 1)
        #expect(result.output == """
            batch \(ids[0]): ok (5000 bytes, 5 pieces)
            batch \(ids[1]): corrupt: piece 2 of 5 differs from the recorded SHA-256
            batch \(ids[2]): missing: \(layout.archive(batch: ids[2])) is not there

            """)
        #expect(result.errors == "batchctl: 2 of 3 batches failed verification\n")

        let only = harness.run(["batch", "verify", String(ids[0])])
        #expect(only.status == 0)
        #expect(only.output == "batch \(ids[0]): ok (5000 bytes, 5 pieces)\n")
    }

    @Test func jsonListsEachResultWithItsBadPieces() throws {
        let harness = try AdminHarness()
        let ids = try sealArchives(harness, count: 2)
        let layout = StateLayout(directory: harness.state)
        try flipByte(at: 0, of: layout.archive(batch: ids[1]))
        try flipByte(at: 4999, of: layout.archive(batch: ids[1]))
        let result = harness.run(["batch", "verify", "--json"])
        #expect(result.status == 1)
        let list = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: Any]])
        #expect(list.map { $0["id"] as? Int } == ids.map { Int($0) })
        #expect(list.map { $0["result"] as? String } == ["ok", "corrupt"])
        #expect(list.map { $0["bad_pieces"] as? [Int] } == [[], [0, 4]])
        #expect(list[0]["detail"] is NSNull)
        #expect(list[1]["piece_count"] as? Int == 5)
        #expect(list[1]["archive"] as? String == layout.archive(batch: ids[1]))
    }

    @Test func onlySealedBatchesCanBeVerified() throws {
        let harness = try AdminHarness()
        let ids = try sealArchives(harness, count: 1)
        _ = try harness.catalogue().purgeBatch(id: ids[0], reason: "test")
        let purged = harness.run(["batch", "verify", String(ids[0])])
        #expect(purged.status == 1)
        #expect(purged.errors == "batchctl: cannot verify batch \(ids[0]): it is purged\n")
        #expect(harness.run(["batch", "verify", "77"]).errors.contains("batch 77 does not exist"))
        let none = harness.run(["batch", "verify"])
        #expect(none.status == 0)
        #expect(none.output == "no sealed batch to verify\n")
    }

    @Test func progressGoesToATerminalAndIsErasedAtTheEnd() throws {
        let harness = try AdminHarness()
        let ids = try sealArchives(harness, count: 2)
        let result = harness.run(["batch", "verify"], terminalColumns: 100)
        #expect(result.status == 0)
        // The results are unchanged on standard output; the bar lives on
        // standard error, each drawing on one line, and is erased last.
        #expect(result.output == ids.map { "batch \($0): ok (5000 bytes, 5 pieces)\n" }.joined())
        #expect(result.errors.hasPrefix("\rbatch \(ids[0]) (1/2) ["))
        #expect(result.errors.hasSuffix("\r\u{1B}[K"))
        #expect(!result.errors.contains("\n"))
        let drawings = result.errors.components(separatedBy: "\r").filter { !$0.isEmpty && $0 != "\u{1B}[K" }
        #expect(!drawings.isEmpty)
        #expect(drawings.allSatisfy { $0.count == 99 + 3 && $0.hasSuffix("\u{1B}[K") })
        // Off a terminal nothing is drawn.
        #expect(harness.run(["batch", "verify"]).errors.isEmpty)
    }
}
