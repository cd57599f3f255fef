import BatchArchive
import Foundation
import Testing

/// Entries streamed while their file grows: their header is written into a
/// slot at the end, and the archive must be exactly as valid as one built
/// from complete files: gzip's CRC, tar's headers, the SHA-256 and every
/// piece digest.
struct StreamedEntryTests {
    /// Appends `data` to the file at `path` in `chunk`-byte steps, telling
    /// the writer after each one, as uploads arrive.
    private func stream(_ data: Data, as path: String, source: String, into writer: ArchiveWriter, chunk: Int,
                        mode: UInt32 = 0o640, mtime: Int64 = 1_700_000_000) throws {
        #expect(FileManager.default.createFile(atPath: source, contents: nil))
        let handle = try #require(FileHandle(forWritingAtPath: source))
        defer { try? handle.close() }
        try writer.beginStreamedFile(from: source)
        var written = 0
        while written < data.count {
            let end = min(written + chunk, data.count)
            try handle.write(contentsOf: data[written..<end])
            written = end
            try writer.advanceStreamedFile(to: UInt64(written))
        }
        try writer.endStreamedFile(path: path, size: UInt64(data.count), mode: mode, mtime: mtime)
    }

    /// Checks the archive with gzip and GNU tar and against `summary`, and
    /// returns the extracted folder.
    private func expectValid(_ archive: String, _ summary: ArchiveSummary, in scratch: ScratchDirectory) throws -> String {
        let gzip = try runTool(try #require(toolPath("gzip")), ["-t", archive])
        #expect(gzip.status == 0, "gzip -t: \(gzip.error)")
        let out = scratch.path("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let tar = try runTool(try #require(toolPath("tar")), ["-xzf", archive, "-C", out])
        #expect(tar.status == 0 && tar.error.isEmpty, "tar: \(tar.error)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: archive))
        #expect(summary.size == UInt64(bytes.count))
        #expect(summary.sha256 == sha256Hex(bytes))
        let pieces = stride(from: 0, to: bytes.count, by: summary.pieceSize).map { start in
            sha256Hex(bytes[start..<min(start + summary.pieceSize, bytes.count)])
        }
        #expect(summary.pieces == pieces)
        return out
    }

    @Test(arguments: [true, false])
    func aStreamedFileRestoresByteForByteAmongOtherEntries(compressible: Bool) throws {
        let scratch = try ScratchDirectory()
        let archive = scratch.path("batch.tar.gz")
        // Small pieces, so the slots fall inside pieces of their own and in shared ones.
        let writer = try ArchiveWriter(path: archive, pieceSize: 64 << 10)
        let big = compressible ? textBytes(3_000_000) : try randomBytes(3_000_000)
        let before = try scratch.write(textBytes(70_000), to: "staging/before")
        try writer.appendDirectory(path: "dir", mode: 0o755, mtime: 1_700_000_000)
        try writer.appendFile(path: "dir/before.txt", from: before, mode: 0o644, mtime: 1_700_000_000)
        try stream(big, as: "dir/big.bin", source: scratch.path("staging/big"), into: writer, chunk: 32_768 + 7)
        try stream(Data(), as: "empty", source: scratch.path("staging/empty"), into: writer, chunk: 1)
        try stream(Data("tiny\n".utf8), as: "tiny.txt", source: scratch.path("staging/tiny"), into: writer, chunk: 2)
        let after = try scratch.write(try randomBytes(10_000), to: "staging/after")
        try writer.appendFile(path: "after.bin", from: after, mode: 0o600, mtime: 1_600_000_000)
        let summary = try writer.finish()

        let out = try expectValid(archive, summary, in: scratch)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/dir/big.bin")) == big)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/dir/before.txt")) == textBytes(70_000))
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/empty")).isEmpty)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/tiny.txt")) == Data("tiny\n".utf8))
        let attributes = try FileManager.default.attributesOfItem(atPath: out + "/dir/big.bin")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o640)
        #expect((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 == 1_700_000_000)
        if compressible {
            #expect(summary.size < 1_000_000, "streamed text is deflated")
        } else {
            #expect(summary.size < 3_000_000 + 3_000_000 / 100 + 100_000, "streamed random data is stored")
        }
    }

    @Test func aStreamedFileGivesTheSameFilesAsAppendingItWhole() throws {
        let data = textBytes(600_000) + (try randomBytes(400_000))
        let streamedScratch = try ScratchDirectory()
        let streamedArchive = streamedScratch.path("s.tar.gz")
        let streamed = try ArchiveWriter(path: streamedArchive, pieceSize: 1 << 20)
        try stream(data, as: "f.bin", source: streamedScratch.path("f"), into: streamed, chunk: 100_000)
        let streamedSummary = try streamed.finish()
        let out = try expectValid(streamedArchive, streamedSummary, in: streamedScratch)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/f.bin")) == data)

        let wholeScratch = try ScratchDirectory()
        let whole = try ArchiveWriter(path: wholeScratch.path("w.tar.gz"), pieceSize: 1 << 20)
        try whole.appendFile(path: "f.bin", from: try wholeScratch.write(data, to: "f"), mode: 0o640, mtime: 1_700_000_000)
        let wholeSummary = try whole.finish()
        // Same tar stream, framed a little differently (the header's own stored block).
        let a = try runTool(try #require(toolPath("gzip")), ["-dc", streamedArchive])
        let b = try runTool(try #require(toolPath("gzip")), ["-dc", wholeScratch.path("w.tar.gz")])
        #expect(a.output == b.output)
        #expect(abs(Int(streamedSummary.size) - Int(wholeSummary.size)) < 2_000)
    }

    @Test func nothingElseEntersWhileAStreamedEntryIsOpen() throws {
        let scratch = try ScratchDirectory()
        let writer = try ArchiveWriter(path: scratch.path("a.tar.gz"))
        let source = try scratch.write(Data("abc".utf8), to: "s")
        try writer.beginStreamedFile(from: source)
        #expect(throws: ArchiveError.streamedEntryOpen(path: scratch.path("a.tar.gz"))) {
            try writer.appendDirectory(path: "d", mode: 0o755, mtime: 0)
        }
        #expect(throws: ArchiveError.streamedEntryOpen(path: scratch.path("a.tar.gz"))) { try writer.finish() }
        #expect(throws: ArchiveError.streamedEntryOpen(path: scratch.path("a.tar.gz"))) { try writer.beginStreamedFile(from: source) }
        try writer.endStreamedFile(path: "s.txt", size: 3, mode: 0o644, mtime: 0)
        #expect(throws: ArchiveError.noStreamedEntry(path: scratch.path("a.tar.gz"))) { try writer.advanceStreamedFile(to: 3) }
        let summary = try writer.finish()
        _ = try expectValid(scratch.path("a.tar.gz"), summary, in: scratch)
    }

    @Test func aHeaderThatNeedsPaxCannotEndAStreamAndTheArchiveMustBeRebuilt() throws {
        let scratch = try ScratchDirectory()
        let writer = try ArchiveWriter(path: scratch.path("a.tar.gz"))
        let source = try scratch.write(Data("abc".utf8), to: "s")
        try writer.beginStreamedFile(from: source)
        let long = String(repeating: "x", count: 150)
        #expect(throws: ArchiveError.streamedHeaderTooLarge(entry: long)) {
            try writer.endStreamedFile(path: long, size: 3, mode: 0o644, mtime: 0)
        }
        #expect(throws: ArchiveError.unusable(path: scratch.path("a.tar.gz"))) { try writer.finish() }
        writer.abort()
        #expect(!FileManager.default.fileExists(atPath: scratch.path("a.tar.gz")))
    }

    @Test func aFileShorterThanItsStreamedSizeIsAnError() throws {
        let scratch = try ScratchDirectory()
        let writer = try ArchiveWriter(path: scratch.path("a.tar.gz"))
        let source = try scratch.write(Data("abc".utf8), to: "s")
        try writer.beginStreamedFile(from: source)
        #expect(throws: ArchiveError.sourceShrank(path: source, expected: 10, actual: 3)) {
            try writer.endStreamedFile(path: "s", size: 10, mode: 0o644, mtime: 0)
        }
    }

    @Test func anAnnouncedSizeWritesTheHeaderAtOnceAndMustHoldAtTheEnd() throws {
        let scratch = try ScratchDirectory()
        let archive = scratch.path("a.tar.gz")
        let writer = try ArchiveWriter(path: archive, pieceSize: 64 << 10)
        let data = try randomBytes(500_000)
        let source = try scratch.write(data, to: "s")
        let longPath = "dir/" + String(repeating: "n", count: 120) + ".bin"
        // A long path needs pax records: fine when the header is written at once.
        try writer.beginStreamedFile(from: source, path: longPath, size: 500_000, mode: 0o600, mtime: 1_600_000_000)
        try writer.advanceStreamedFile(to: 200_000)
        try writer.endStreamedFile(path: longPath, size: 500_000, mode: 0o600, mtime: 1_600_000_000)
        let summary = try writer.finish()
        let out = try expectValid(archive, summary, in: scratch)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/" + longPath)) == data)

        let other = try ScratchDirectory()
        let changed = try ArchiveWriter(path: other.path("b.tar.gz"))
        let shorter = try other.write(Data("abc".utf8), to: "s")
        try changed.beginStreamedFile(from: shorter, path: "s", size: 10, mode: 0o644, mtime: 0)
        #expect(throws: ArchiveError.streamedHeaderChanged(entry: "s")) {
            try changed.endStreamedFile(path: "s", size: 3, mode: 0o644, mtime: 0)
        }
        #expect(throws: ArchiveError.unusable(path: other.path("b.tar.gz"))) { try changed.finish() }
    }

    /// An announced entry defers the piece digests to `finish`; a slot
    /// after it makes `finish` take the whole digest again too. Every piece
    /// must come out right either way, whichever lane hashed it.
    @Test(arguments: [false, true])
    func piecesDeferredByAnAnnouncedEntryAreAllHashedAtTheEnd(slotAfter: Bool) throws {
        let scratch = try ScratchDirectory()
        let archive = scratch.path("a.tar.gz")
        let writer = try ArchiveWriter(path: archive, pieceSize: 16 << 10)
        let before = try scratch.write(textBytes(50_000), to: "staging/before")
        try writer.appendFile(path: "before.txt", from: before, mode: 0o644, mtime: 1_700_000_000)
        let announced = try randomBytes(700_000)
        let source = try scratch.write(announced, to: "staging/announced")
        try writer.beginStreamedFile(from: source, path: "announced.bin", size: 700_000, mode: 0o600, mtime: 1_600_000_000)
        try writer.advanceStreamedFile(to: 300_001)
        try writer.endStreamedFile(path: "announced.bin", size: 700_000, mode: 0o600, mtime: 1_600_000_000)
        let streamed = try randomBytes(200_000)
        if slotAfter {
            try stream(streamed, as: "streamed.bin", source: scratch.path("staging/streamed"), into: writer, chunk: 65_536)
        }
        let summary = try writer.finish()
        #expect(summary.pieces.count > 40)
        let out = try expectValid(archive, summary, in: scratch)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/announced.bin")) == announced)
        if slotAfter {
            #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/streamed.bin")) == streamed)
        }
    }

    @Test func base64IsHuffmanCodedSmallerThanPigzAndRestoresExactly() throws {
        let scratch = try ScratchDirectory()
        let data = Data(try randomBytes(3_000_000).base64EncodedData(options: .lineLength76Characters))
        let archive = scratch.path("a.tar.gz")
        let writer = try ArchiveWriter(path: archive, pieceSize: 1 << 20)
        try stream(data, as: "streamed.b64", source: scratch.path("s"), into: writer, chunk: 300_000)
        try writer.appendFile(path: "whole.b64", from: try scratch.write(data, to: "w"), mode: 0o644, mtime: 1_700_000_000)
        let summary = try writer.finish()
        let out = try expectValid(archive, summary, in: scratch)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/streamed.b64")) == data)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/whole.b64")) == data)
        // Entropy coding alone gets what level 6 would: about 6 bits a character.
        #expect(Double(summary.size) < Double(2 * data.count) * 0.77, "\(summary.size) for \(2 * data.count)")
    }
}

