@testable import BatchArchive
import Foundation
import Testing

/// Compresses `parts`, switching to each part's level first, and returns the gzip bytes.
private func compress(_ parts: [(level: Int32, data: Data)]) throws -> Data {
    let deflater = try GzipDeflater(level: 6)
    var output = Data()
    let sink: GzipDeflater.Sink = { (chunk: UnsafeRawBufferPointer) throws(ArchiveError) in
        output.append(contentsOf: chunk)
    }
    for part in parts {
        try deflater.setLevel(part.level, into: sink)
        #expect(deflater.level == part.level)
        let result = part.data.withUnsafeBytes { bytes in
            Result { () throws(ArchiveError) in try deflater.deflate(bytes, into: sink) }
        }
        try result.get()
    }
    try deflater.finish(into: sink)
    return output
}

private func gunzip(_ compressed: Data, in scratch: ScratchDirectory) throws -> Data {
    let file = try scratch.write(compressed, to: "stream.gz")
    let result = try runTool(try #require(toolPath("gzip")), ["-dc", file])
    #expect(result.status == 0, "gzip -dc: \(result.error)")
    return result.output
}

struct GzipDeflaterTests {
    @Test func levelChangesMidStreamKeepOneValidGzipStream() throws {
        let scratch = try ScratchDirectory()
        let parts: [(level: Int32, data: Data)] = [
            (6, textBytes(70_000)), (0, try randomBytes(300_000)), (6, textBytes(5)), (1, textBytes(200_000)),
            (0, Data()), (9, try randomBytes(1000)), (6, textBytes(1_000_000)),
        ]
        let compressed = try compress(parts)
        #expect(try gunzip(compressed, in: scratch) == parts.reduce(Data()) { $0 + $1.data })
    }

    @Test func levelOutsideZeroToNineIsRefused() throws {
        #expect(throws: ArchiveError.invalidLevel(-1)) { try GzipDeflater(level: -1) }
        let deflater = try GzipDeflater(level: 6)
        #expect(throws: ArchiveError.invalidLevel(12)) {
            try deflater.setLevel(12) { (_: UnsafeRawBufferPointer) throws(ArchiveError) in }
        }
    }

    @Test func probeStoresRandomDataDeflatesTextAndHuffmanCodesBase64() throws {
        let probe = try CompressibilityProbe()
        let random = try randomBytes(CompressibilityProbe.sampleSize)
        let text = textBytes(CompressibilityProbe.sampleSize)
        let base64 = Data(try randomBytes(CompressibilityProbe.sampleSize * 3 / 4).base64EncodedData().prefix(CompressibilityProbe.sampleSize))
        #expect(try random.withUnsafeBytes { bytes in try probe.kind(for: bytes) } == .stored)
        #expect(try text.withUnsafeBytes { bytes in try probe.kind(for: bytes) } == .deflate)
        #expect(try base64.withUnsafeBytes { bytes in try probe.kind(for: bytes) } == .huffman)
        // The probe is reusable: the same sample gives the same answer twice.
        #expect(try random.withUnsafeBytes { bytes in try probe.kind(for: bytes) } == .stored)
    }
}
