import CZlib

/// The header slots of an archive's streamed entries, filled in once the
/// archive is complete: their headers written over the placeholder blocks,
/// the gzip CRC corrected for the change, and the pieces it reaches named
/// for `ArchiveRehash`.
struct HeaderSlots {
    /// Each slot's header, one tar block, in archive order.
    let headers: [[UInt8]]
    /// Where each slot's block lies in the archive file.
    let fileOffsets: [UInt64]
    /// Where each slot's block lies in the uncompressed stream.
    let streamOffsets: [UInt64]

    var isEmpty: Bool { headers.isEmpty }

    /// The CRC-32 of the uncompressed stream with the headers in place of
    /// the zero blocks it was computed over. CRC-32 is affine in the
    /// message for a fixed length, so the change is the CRC difference of
    /// the two blocks, carried through the `streamCount - offset - 512`
    /// bytes after the slot (zlib's `crc32_combine` with nothing appended).
    func correctedChecksum(_ checksum: UInt32, streamCount: UInt64) -> UInt32 {
        let zeros = HeaderSlots.crc([UInt8](repeating: 0, count: 512))
        var result = checksum
        for (header, offset) in zip(headers, streamOffsets) {
            let following = streamCount - offset - UInt64(header.count)
            let difference = uLong(zeros ^ HeaderSlots.crc(header))
            result ^= UInt32(truncatingIfNeeded: crc32_combine(difference, 0, Int(following)))
        }
        return result
    }

    /// Writes each header over its slot.
    func write(into file: OutputFile) throws(ArchiveError) {
        for (header, offset) in zip(headers, fileOffsets) {
            // withUnsafeBytes rethrows untyped errors; Result carries the typed one through.
            let result = header.withUnsafeBytes { bytes in
                Result { () throws(ArchiveError) in try file.overwrite(bytes, at: offset) }
            }
            try result.get()
        }
    }

    /// The indices of the pieces a slot lies in, whose digests change when
    /// the headers are written.
    func touchedPieces(pieceSize: Int) -> Set<Int> {
        var touched = Set<Int>()
        for (header, offset) in zip(headers, fileOffsets) {
            let first = Int(offset / UInt64(pieceSize))
            let last = Int((offset + UInt64(header.count) - 1) / UInt64(pieceSize))
            touched.formUnion(first...last)
        }
        return touched
    }

    private static func crc(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { SegmentEncoder.crc($0) }
    }
}
