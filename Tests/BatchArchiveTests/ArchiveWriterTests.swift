import BatchArchive
import Foundation
import Testing

/// One entry of the reference tree the archive tests build.
private struct Entry {
    var path: String
    var contents: Data?
}

/// Nested folders, an empty file, UTF-8 names, a path over 255 bytes, a name
/// over 100 bytes, compressible text and 20 MB of random bytes.
private func referenceTree() throws -> [Entry] {
    let deepFolder = "nightly/" + String(repeating: "long-directory-name-", count: 8)
    let deep = deepFolder + "/" + String(repeating: "very-long-file-name-", count: 7) + ".bin"
    return [
        Entry(path: "nightly", contents: nil),
        Entry(path: "nightly/build", contents: nil),
        Entry(path: "nightly/build/a.txt", contents: textBytes(100_000)),
        Entry(path: "nightly/build/empty", contents: Data()),
        Entry(path: "nightly/données", contents: nil),
        Entry(path: "nightly/données/résumé-日本語.txt", contents: Data("bonjour\n".utf8)),
        Entry(path: "nightly/" + String(repeating: "n", count: 120) + ".txt", contents: Data("long name\n".utf8)),
        Entry(path: deepFolder, contents: nil),
        Entry(path: deep, contents: try randomBytes(4096 + 17)),
        Entry(path: "nightly/random.bin", contents: try randomBytes(20_000_000)),
    ]
}

/// Writes `entries` into a new archive and returns its path and summary.
private func buildArchive(_ entries: [Entry], in scratch: ScratchDirectory, pieceSize: Int = 4 << 20) throws -> (String, ArchiveSummary) {
    let archivePath = scratch.path("batch.tar.gz")
    let writer = try ArchiveWriter(path: archivePath, pieceSize: pieceSize)
    for (index, entry) in entries.enumerated() {
        if let contents = entry.contents {
            let source = try scratch.write(contents, to: "staging/\(index)")
            let archived = try writer.appendFile(path: entry.path, from: source, mode: 0o640, mtime: 1_700_000_000)
            #expect(archived == UInt64(contents.count))
        } else {
            try writer.appendDirectory(path: entry.path, mode: 0o755, mtime: 1_700_000_000)
        }
    }
    return (archivePath, try writer.finish())
}

/// Checks that `folder` holds exactly `entries`, byte for byte.
private func expectRestored(_ entries: [Entry], in folder: String) throws {
    var isDirectory: ObjCBool = false
    for entry in entries {
        let path = folder + "/" + entry.path
        #expect(FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), "missing \(entry.path)")
        if let contents = entry.contents {
            #expect(!isDirectory.boolValue)
            let restored = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(restored == contents, "\(entry.path) differs")
        } else {
            #expect(isDirectory.boolValue, "\(entry.path) is not a folder")
        }
    }
    let listed = try #require(FileManager.default.enumerator(atPath: folder)).compactMap { $0 as? String }
    #expect(Set(listed) == Set(entries.map(\.path)))
}

struct ArchiveWriterTests {
    @Test func gnuTarRestoresEveryFileByteForByte() throws {
        let scratch = try ScratchDirectory()
        let entries = try referenceTree()
        let (archive, summary) = try buildArchive(entries, in: scratch)
        let out = scratch.path("gnu")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let result = try runTool(try #require(toolPath("tar")), ["-xzf", archive, "-C", out])
        #expect(result.status == 0, "tar: \(result.error)")
        #expect(result.error.isEmpty, "tar warned: \(result.error)")
        try expectRestored(entries, in: out)
        let attributes = try FileManager.default.attributesOfItem(atPath: archive)
        #expect((attributes[.size] as? NSNumber)?.uint64Value == summary.size)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o640)
    }

    @Test(.enabled(if: toolPath("bsdtar") != nil, "bsdtar (libarchive-tools) is not installed"))
    func libarchiveRestoresEveryFileByteForByte() throws {
        let scratch = try ScratchDirectory()
        let entries = try referenceTree().filter { $0.path != "nightly/random.bin" }
        let (archive, _) = try buildArchive(entries, in: scratch)
        let out = scratch.path("bsd")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let result = try runTool(try #require(toolPath("bsdtar")), ["-xzf", archive, "-C", out])
        #expect(result.status == 0, "bsdtar: \(result.error)")
        #expect(result.error.isEmpty, "bsdtar warned: \(result.error)")
        try expectRestored(entries, in: out)
    }

    @Test func gzipAcceptsTheArchiveAsOneValidStream() throws {
        let scratch = try ScratchDirectory()
        let (archive, _) = try buildArchive(
            [Entry(path: "a", contents: textBytes(300_000)), Entry(path: "b", contents: try randomBytes(300_000))],
            in: scratch
        )
        let result = try runTool(try #require(toolPath("gzip")), ["-t", archive])
        #expect(result.status == 0, "gzip -t: \(result.error)")
    }

    @Test func pieceHashesMatchTheFileOnDisk() throws {
        let scratch = try ScratchDirectory()
        let pieceSize = 256 << 10
        let (archive, summary) = try buildArchive(
            [Entry(path: "r.bin", contents: try randomBytes(3_000_000)), Entry(path: "t.txt", contents: textBytes(50_000))],
            in: scratch, pieceSize: pieceSize
        )
        let bytes = try Data(contentsOf: URL(fileURLWithPath: archive))
        #expect(summary.size == UInt64(bytes.count))
        #expect(summary.pieceSize == pieceSize)
        #expect(summary.pieces.count == (bytes.count + pieceSize - 1) / pieceSize)
        #expect(bytes.count % pieceSize != 0, "the test wants a short last piece")
        let recomputed = stride(from: 0, to: bytes.count, by: pieceSize).map { start in
            sha256Hex(bytes[start..<min(start + pieceSize, bytes.count)])
        }
        #expect(summary.pieces == recomputed)
        #expect(summary.sha256 == sha256Hex(bytes))

        let tool = try runTool(try #require(toolPath("sha256sum")), [archive])
        #expect(tool.status == 0)
        #expect(String(decoding: tool.output, as: UTF8.self).split(separator: " ").first.map(String.init) == summary.sha256)
    }

    @Test func compressibleTextShrinksAndRandomDataIsStoredWithLittleOverhead() throws {
        let scratch = try ScratchDirectory()
        let (_, text) = try buildArchive([Entry(path: "t.txt", contents: textBytes(2_000_000))], in: scratch)
        #expect(text.size < 200_000)
        let other = try ScratchDirectory()
        let (_, random) = try buildArchive([Entry(path: "r.bin", contents: try randomBytes(2_000_000))], in: other)
        #expect(random.size > 2_000_000 && random.size < 2_000_000 + 2_000_000 / 100)
    }

    @Test func abortRemovesTheArchive() throws {
        let scratch = try ScratchDirectory()
        let archive = scratch.path("aborted.tar.gz")
        let writer = try ArchiveWriter(path: archive)
        try writer.appendFile(path: "a", from: try scratch.write(textBytes(10_000), to: "a"), mode: 0o644, mtime: 0)
        #expect(FileManager.default.fileExists(atPath: archive))
        writer.abort()
        #expect(!FileManager.default.fileExists(atPath: archive))
        #expect(throws: ArchiveError.closed(path: archive)) { try writer.finish() }
    }

    @Test func releasingAnUnfinishedWriterRemovesTheArchive() throws {
        let scratch = try ScratchDirectory()
        let archive = scratch.path("dropped.tar.gz")
        do {
            let writer = try ArchiveWriter(path: archive)
            try writer.appendDirectory(path: "d", mode: 0o755, mtime: 0)
            #expect(FileManager.default.fileExists(atPath: archive))
        }
        #expect(!FileManager.default.fileExists(atPath: archive))
    }

    @Test func missingSourceIsNamedInTheErrorAndLeavesTheArchiveUsable() throws {
        let scratch = try ScratchDirectory()
        let archive = scratch.path("batch.tar.gz")
        let missing = scratch.path("staging/never-uploaded")
        let writer = try ArchiveWriter(path: archive)
        do {
            try writer.appendFile(path: "x", from: missing, mode: 0o644, mtime: 0)
            Issue.record("appending a missing file succeeded")
        } catch {
            #expect(error == .sourceUnreadable(path: missing, errno: ENOENT))
            #expect(error.description.contains(missing))
            #expect(error.description.contains("No such file or directory"))
        }
        try writer.appendFile(path: "y", from: try scratch.write(Data("ok\n".utf8), to: "y"), mode: 0o644, mtime: 0)
        _ = try writer.finish()
        let out = scratch.path("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        #expect(try runTool(try #require(toolPath("tar")), ["-xzf", archive, "-C", out]).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/y")) == Data("ok\n".utf8))
    }

    @Test func directorySourceIsRefused() throws {
        let scratch = try ScratchDirectory()
        let writer = try ArchiveWriter(path: scratch.path("batch.tar.gz"))
        defer { writer.abort() }
        #expect(throws: ArchiveError.sourceNotRegularFile(path: scratch.url.path)) {
            try writer.appendFile(path: "x", from: scratch.url.path, mode: 0o644, mtime: 0)
        }
    }

    @Test func existingArchiveIsNeverOverwritten() throws {
        let scratch = try ScratchDirectory()
        let archive = try scratch.write(Data("keep".utf8), to: "batch.tar.gz")
        #expect(throws: ArchiveError.createFailed(path: archive, errno: EEXIST)) { try ArchiveWriter(path: archive) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: archive)) == Data("keep".utf8))
    }

    @Test func entryPathsThatEscapeOrAreEmptyAreRefused() throws {
        let scratch = try ScratchDirectory()
        let writer = try ArchiveWriter(path: scratch.path("batch.tar.gz"))
        defer { writer.abort() }
        let source = try scratch.write(Data("x".utf8), to: "x")
        for bad in ["", "/etc/passwd", "..", "a/../b", "a/..", "a\u{0}b"] {
            #expect(throws: ArchiveError.invalidEntryPath(bad)) {
                try writer.appendFile(path: bad, from: source, mode: 0o644, mtime: 0)
            }
            #expect(throws: ArchiveError.invalidEntryPath(bad)) {
                try writer.appendDirectory(path: bad, mode: 0o755, mtime: 0)
            }
        }
    }

    @Test func badPieceSizeOrLevelIsRefusedBeforeCreatingTheFile() throws {
        let scratch = try ScratchDirectory()
        let archive = scratch.path("batch.tar.gz")
        #expect(throws: ArchiveError.invalidPieceSize(0)) { try ArchiveWriter(path: archive, pieceSize: 0) }
        #expect(throws: ArchiveError.invalidLevel(10)) { try ArchiveWriter(path: archive, level: 10) }
        #expect(!FileManager.default.fileExists(atPath: archive))
    }

    @Test func nothingCanBeAppendedAfterFinish() throws {
        let scratch = try ScratchDirectory()
        let archive = scratch.path("batch.tar.gz")
        let writer = try ArchiveWriter(path: archive)
        let summary = try writer.finish()
        // An empty batch is still a valid archive: the end blocks alone.
        #expect(summary.pieces.count == 1)
        #expect(throws: ArchiveError.closed(path: archive)) {
            try writer.appendDirectory(path: "late", mode: 0o755, mtime: 0)
        }
        let listing = try runTool(try #require(toolPath("tar")), ["-tzf", archive])
        #expect(listing.status == 0)
        #expect(listing.output.isEmpty)
    }

    @Test func modesAndTimesSurviveExtraction() throws {
        let scratch = try ScratchDirectory()
        let archive = scratch.path("batch.tar.gz")
        let writer = try ArchiveWriter(path: archive)
        try writer.appendDirectory(path: "d", mode: 0o750, mtime: 1_600_000_000)
        try writer.appendFile(path: "d/recent", from: try scratch.write(Data("r".utf8), to: "s/recent"), mode: 0o600, mtime: 1_700_000_000)
        // Before 1970: only a pax mtime record can carry it.
        try writer.appendFile(path: "d/old", from: try scratch.write(Data("o".utf8), to: "s/old"), mode: 0o644, mtime: -86_400)
        _ = try writer.finish()

        let out = scratch.path("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let result = try runTool(try #require(toolPath("tar")), ["-xzf", archive, "-C", out])
        #expect(result.status == 0, "tar: \(result.error)")
        func attributes(_ relative: String) throws -> (mode: Int, mtime: Double) {
            let values = try FileManager.default.attributesOfItem(atPath: out + "/" + relative)
            let mode = try #require(values[.posixPermissions] as? NSNumber).intValue
            let date = try #require(values[.modificationDate] as? Date)
            return (mode, date.timeIntervalSince1970)
        }
        let recent = try attributes("d/recent")
        #expect(recent.mode == 0o600 && recent.mtime == 1_700_000_000)
        let old = try attributes("d/old")
        #expect(old.mode == 0o644 && old.mtime == -86_400)
        let folder = try attributes("d")
        #expect(folder.mode == 0o750 && folder.mtime == 1_600_000_000)
    }
}
