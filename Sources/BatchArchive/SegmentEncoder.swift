import CDeflate
import CZlib

/// Turns segments into their archive bytes: raw deflate primed with the
/// segment's dictionary and ended with a sync flush, or stored blocks framed
/// around the segment's own memory, plus the CRC-32 of the uncompressed bytes.
///
/// Each worker thread owns one encoder and its `z_stream`, freed exactly
/// once: it is created by `ArchivePipeline`, handed to its worker thread at
/// start, and used only there.
final class SegmentEncoder: @unchecked Sendable {
    private let stream: UnsafeMutablePointer<z_stream>
    private let level: Int32
    /// Whether the stream is set to Huffman coding alone now.
    private var huffmanOnly = false

    /// Starts a raw deflate stream at `level` (1–9; level 0 never deflates).
    init(level: Int32) throws(ArchiveError) {
        self.level = max(level, 1)
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let code = batchd_deflate_init_raw(stream, max(level, 1))
        guard code == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw .compressionFailed(code: code, message: "cannot start a deflate stream")
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Sets the segment's `checksum` and `output`.
    func encode(_ segment: Segment) throws(ArchiveError) {
        let data = segment.data
        switch segment.kind {
        case .verbatim:
            segment.output = [data]
        case .stored:
            segment.checksum = SegmentEncoder.crc(data)
            segment.output = SegmentEncoder.storedBlocks(data, headers: segment.storedHeaders)
        case .deflate, .huffman:
            segment.checksum = SegmentEncoder.crc(data)
            try deflate(segment, huffmanOnly: segment.kind == .huffman)
        }
    }

    /// CRC-32 of `bytes`, gzip's, by libdeflate: on the path of every
    /// archived byte, and several times faster than zlib's.
    static func crc(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress else { return 0 }
        return libdeflate_crc32(0, base, bytes.count)
    }

    /// Frames `data` as stored blocks without copying it: each block is a
    /// 5-byte header followed by up to 65,535 bytes of the data itself.
    private static func storedBlocks(_ data: UnsafeRawBufferPointer, headers: UnsafeMutableRawBufferPointer) -> [UnsafeRawBufferPointer] {
        var spans: [UnsafeRawBufferPointer] = []
        spans.reserveCapacity(2 * (data.count / Segment.storedBlockLimit + 1))
        var offset = 0
        var header = 0
        while offset < data.count {
            let length = min(Segment.storedBlockLimit, data.count - offset)
            let slot = UnsafeMutableRawBufferPointer(rebasing: headers[header..<(header + Segment.storedHeaderSize)])
            // The stream is byte-aligned here, so BFINAL=0 and BTYPE=00 take
            // a whole byte; LEN and NLEN are little-endian.
            slot[0] = 0
            slot[1] = UInt8(truncatingIfNeeded: length)
            slot[2] = UInt8(truncatingIfNeeded: length >> 8)
            slot[3] = ~slot[1]
            slot[4] = ~slot[2]
            spans.append(UnsafeRawBufferPointer(slot))
            spans.append(UnsafeRawBufferPointer(rebasing: data[offset..<(offset + length)]))
            header += Segment.storedHeaderSize
            offset += length
        }
        return spans
    }

    private func deflate(_ segment: Segment, huffmanOnly: Bool) throws(ArchiveError) {
        var code = deflateReset(stream)
        guard code == Z_OK else { throw .compressionFailed(code: code, message: "cannot reset the deflate stream") }
        if huffmanOnly != self.huffmanOnly {
            // Right after a reset nothing is pending, so zlib switches at once.
            code = deflateParams(stream, level, huffmanOnly ? Z_HUFFMAN_ONLY : Z_DEFAULT_STRATEGY)
            guard code == Z_OK else { throw .compressionFailed(code: code, message: "cannot set the deflate strategy") }
            self.huffmanOnly = huffmanOnly
        }
        let dictionary = segment.dictionary
        // Huffman coding alone never looks back: a dictionary would be ignored.
        if !huffmanOnly, let base = dictionary.baseAddress, !dictionary.isEmpty {
            code = deflateSetDictionary(stream, base.assumingMemoryBound(to: Bytef.self), uInt(dictionary.count))
            guard code == Z_OK else { throw .compressionFailed(code: code, message: "cannot prime the deflate stream") }
        }
        let data = segment.data
        // deflateBound plus room for the sync flush's empty stored block
        // makes one call enough; the loop below copes if it is not.
        segment.reserveCompressed(Int(deflateBound(stream, uLong(data.count))) + 64)
        stream.pointee.next_in = data.baseAddress.map {
            UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: Bytef.self))
        }
        stream.pointee.avail_in = uInt(data.count)
        defer {
            stream.pointee.next_in = nil
            stream.pointee.avail_in = 0
            stream.pointee.next_out = nil
            stream.pointee.avail_out = 0
        }
        var produced = 0
        while true {
            let room = segment.compressed.count - produced
            stream.pointee.next_out = (segment.compressed.baseAddress! + produced).assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(room)
            // Z_SYNC_FLUSH ends on a byte boundary with no final-block bit,
            // so the next segment's output can follow directly.
            code = CZlib.deflate(stream, Z_SYNC_FLUSH)
            guard code == Z_OK || code == Z_BUF_ERROR else {
                throw .compressionFailed(code: code, message: SegmentEncoder.message(stream, code))
            }
            produced += room - Int(stream.pointee.avail_out)
            if stream.pointee.avail_out > 0 && stream.pointee.avail_in == 0 { break }
            segment.growCompressed(keeping: produced)
        }
        segment.output = [UnsafeRawBufferPointer(rebasing: segment.compressed.prefix(produced))]
    }

    private static func message(_ stream: UnsafeMutablePointer<z_stream>, _ code: Int32) -> String {
        if let text = stream.pointee.msg {
            return String(cString: text)
        }
        return String(cString: zError(code))
    }
}
