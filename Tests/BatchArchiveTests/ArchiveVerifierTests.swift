import BatchArchive
import Foundation
import Testing

/// Re-reading an archive against its record finds the piece that changed,
/// a truncation, and a file that is gone.
@Suite struct ArchiveVerifierTests {
    /// A 10 000-byte file in 1000-byte pieces and its true record.
    private func archive(in scratch: ScratchDirectory) throws -> (path: String, data: Data, summary: ArchiveSummary) {
        let data = try randomBytes(10_000)
        let path = try scratch.write(data, to: "1.tar.gz")
        let pieces = stride(from: 0, to: data.count, by: 1000).map { sha256Hex(data[$0..<min($0 + 1000, data.count)]) }
        return (path, data, ArchiveSummary(size: 10_000, sha256: sha256Hex(data), pieceSize: 1000, pieces: pieces))
    }

    @Test func untouchedArchiveIsIntactAndEveryByteIsReported() throws {
        let scratch = try ScratchDirectory()
        let (path, _, summary) = try archive(in: scratch)
        var reported = 0
        #expect(ArchiveVerifier.check(path: path, against: summary) { reported += $0 } == .intact)
        #expect(reported == 10_000)
    }

    @Test func flippedByteNamesItsPiece() throws {
        let scratch = try ScratchDirectory()
        let (path, data, summary) = try archive(in: scratch)
        var changed = data
        changed[4321] ^= 0x01
        try changed.write(to: URL(fileURLWithPath: path))
        #expect(ArchiveVerifier.check(path: path, against: summary) == .corrupt(size: 10_000, badPieces: [4]))
    }

    @Test func truncatedArchiveReportsItsSizeAndTheMissingPieces() throws {
        let scratch = try ScratchDirectory()
        let (path, data, summary) = try archive(in: scratch)
        try data.prefix(7500).write(to: URL(fileURLWithPath: path))
        #expect(ArchiveVerifier.check(path: path, against: summary) == .corrupt(size: 7500, badPieces: [7, 8, 9]))
    }

    @Test func wrongWholeDigestWithRightPiecesIsStillCorrupt() throws {
        let scratch = try ScratchDirectory()
        let (path, _, summary) = try archive(in: scratch)
        var record = summary
        record.sha256 = String(repeating: "0", count: 64)
        #expect(ArchiveVerifier.check(path: path, against: record) == .corrupt(size: 10_000, badPieces: []))
    }

    @Test func missingAndUnreadableArchivesAreToldApart() throws {
        let scratch = try ScratchDirectory()
        let (path, _, summary) = try archive(in: scratch)
        #expect(ArchiveVerifier.check(path: scratch.path("none.tar.gz"), against: summary) == .missing)
        #expect(ArchiveVerifier.check(path: scratch.url.path, against: summary) == .unreadable(reason: "it is not a regular file"))
        var record = summary
        record.pieceSize = 0
        #expect(ArchiveVerifier.check(path: path, against: record) == .unreadable(reason: "no piece size is recorded for it"))
    }
}
