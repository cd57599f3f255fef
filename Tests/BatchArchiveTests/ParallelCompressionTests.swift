@testable import BatchArchive
import Foundation
import Testing

/// Files whose sizes straddle the writer's boundaries: the 256 KiB segment,
/// the 32 KiB dictionary, the 64 KiB stored block and the 64 KiB probe.
private func boundaryFiles() throws -> [(path: String, contents: Data)] {
    let segment = 256 << 10
    var files: [(path: String, contents: Data)] = []
    for size in [segment - 1, segment, segment + 1, 3 * segment + 4097] {
        files.append(("text-\(size).txt", textBytes(size)))
        files.append(("random-\(size).bin", try randomBytes(size)))
    }
    for size in [(32 << 10) - 1, 32 << 10, 65_535, 65_536] {
        files.append(("small-text-\(size).txt", textBytes(size)))
    }
    // Text first, so the probe picks deflate, then random: deflate must cope
    // with data it expands.
    files.append(("text-then-random.bin", textBytes(64 << 10) + (try randomBytes(segment + 12_345))))
    // Random first, so the file is stored, then text.
    files.append(("random-then-text.bin", (try randomBytes(64 << 10)) + textBytes(segment)))
    return files
}

/// Archives `files` with `workers` threads and returns the archive's bytes.
private func archive(
    _ files: [(path: String, contents: Data)], workers: Int, level: Int32 = 6, in scratch: ScratchDirectory
) throws -> (bytes: Data, summary: ArchiveSummary, path: String) {
    let path = scratch.path("batch-\(workers)-\(level)-\(UUID().uuidString).tar.gz")
    let writer = try ArchiveWriter(path: path, pieceSize: 1 << 20, level: level, workers: workers)
    for (index, file) in files.enumerated() {
        let source = try scratch.write(file.contents, to: "staging/\(index)")
        try writer.appendFile(path: file.path, from: source, mode: 0o644, mtime: 1_700_000_000)
    }
    let summary = try writer.finish()
    return (try Data(contentsOf: URL(fileURLWithPath: path)), summary, path)
}

/// CRC-32 (the gzip polynomial, reflected) computed bit by bit, independent
/// of zlib and of the per-segment CRCs the writer joins.
private func crc(_ data: Data) -> UInt32 {
    let table = (0..<256).map { index -> UInt32 in
        (0..<8).reduce(UInt32(index)) { value, _ in value & 1 == 1 ? 0xedb8_8320 ^ (value >> 1) : value >> 1 }
    }
    var value: UInt32 = 0xffff_ffff
    for byte in data {
        value = table[Int((value ^ UInt32(byte)) & 0xff)] ^ (value >> 8)
    }
    return ~value
}

private func littleEndian(_ data: Data, at offset: Int) -> UInt32 {
    (0..<4).reduce(UInt32(0)) { $0 | UInt32(data[data.startIndex + offset + $1]) << (8 * UInt32($1)) }
}

struct ParallelCompressionTests {
    @Test func filesAroundSegmentBoundariesExtractByteForByte() throws {
        let scratch = try ScratchDirectory()
        let files = try boundaryFiles()
        let (_, _, path) = try archive(files, workers: 2, in: scratch)
        #expect(try runTool(try #require(toolPath("gzip")), ["-t", path]).status == 0)
        let out = scratch.path("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let result = try runTool(try #require(toolPath("tar")), ["-xzf", path, "-C", out])
        #expect(result.status == 0, "tar: \(result.error)")
        for file in files {
            let restored = try Data(contentsOf: URL(fileURLWithPath: out + "/" + file.path))
            #expect(restored == file.contents, "\(file.path) differs")
        }
    }

    @Test func sameInputGivesTheSameBytesWhateverTheNumberOfThreads() throws {
        let scratch = try ScratchDirectory()
        let files = try boundaryFiles()
        let one = try archive(files, workers: 1, in: scratch)
        let two = try archive(files, workers: 2, in: scratch)
        let five = try archive(files, workers: 5, in: scratch)
        let again = try archive(files, workers: 2, in: scratch)
        #expect(one.bytes == two.bytes)
        #expect(two.bytes == five.bytes)
        #expect(two.bytes == again.bytes)
        #expect(one.summary == five.summary)
    }

    @Test func trailerHoldsTheCRCAndLengthOfTheWholeTarStream() throws {
        let scratch = try ScratchDirectory()
        let (bytes, _, path) = try archive(try boundaryFiles(), workers: 2, in: scratch)
        let tar = try runTool(try #require(toolPath("gzip")), ["-dc", path])
        #expect(tar.status == 0, "gzip -dc: \(tar.error)")
        #expect(tar.output.count % 512 == 0)
        #expect(littleEndian(bytes, at: bytes.count - 8) == crc(tar.output))
        #expect(littleEndian(bytes, at: bytes.count - 4) == UInt32(truncatingIfNeeded: tar.output.count))
    }

    @Test func parallelTextCompressesNearlyAsWellAsOneStream() throws {
        let scratch = try ScratchDirectory()
        // Varied lines, so the dictionary at each boundary matters.
        var text = ""
        var state: UInt64 = 42
        while text.utf8.count < 3 << 20 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            text += "entry \(state >> 40) status=\(["ok", "warn", "fail"][Int(state >> 62) % 3]) path=/srv/data/\(state >> 50)\n"
        }
        let contents = Data(text.utf8)
        let parallel = try archive([("log.txt", contents)], workers: 2, in: scratch)

        let deflater = try GzipDeflater(level: 6)
        var single = 0
        let count: GzipDeflater.Sink = { (chunk: UnsafeRawBufferPointer) throws(ArchiveError) in single += chunk.count }
        let result = contents.withUnsafeBytes { bytes in
            Result { () throws(ArchiveError) in try deflater.deflate(bytes, into: count) }
        }
        try result.get()
        try deflater.finish(into: count)
        #expect(Double(parallel.bytes.count) <= Double(single) * 1.02 + 2048)
    }

    @Test func levelZeroStoresEverythingInOneValidStream() throws {
        let scratch = try ScratchDirectory()
        let files = try boundaryFiles()
        let stored = try archive(files, workers: 2, level: 0, in: scratch)
        let total = files.reduce(0) { $0 + $1.contents.count }
        #expect(stored.bytes.count > total)
        let tar = try runTool(try #require(toolPath("gzip")), ["-dc", stored.path])
        #expect(tar.status == 0, "gzip -dc: \(tar.error)")
        // Stored blocks cost 5 bytes per 64 KiB on top of the tar stream.
        #expect(stored.bytes.count < tar.output.count + tar.output.count / 1000 + 64)
    }

    @Test(.enabled(if: toolPath("bsdtar") != nil, "bsdtar (libarchive-tools) is not installed"))
    func bsdtarAcceptsTheJoinedStream() throws {
        let bsdtar = try #require(toolPath("bsdtar"))
        let scratch = try ScratchDirectory()
        let files = try boundaryFiles()
        let (_, _, path) = try archive(files, workers: 2, in: scratch)
        let out = scratch.path("bsd")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let result = try runTool(bsdtar, ["-xzf", path, "-C", out])
        #expect(result.status == 0, "bsdtar: \(result.error)")
        #expect(result.error.isEmpty, "bsdtar warned: \(result.error)")
        for file in files {
            #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/" + file.path)) == file.contents, "\(file.path) differs")
        }
    }
}
