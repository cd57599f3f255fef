import Crypto
import CZlib

/// Digests the archive as a whole: its size and SHA-256, and the gzip
/// trailer's CRC-32 and length of the uncompressed stream, joined from the
/// segments' own CRCs in order. From the first header slot on, the SHA-256
/// is not kept: the slot's bytes change at the end, and the archive is
/// hashed again then (`ArchiveRehash`); hashing it twice would only
/// take CPU from the upload.
final class StreamDigestSink: SegmentSink {
    /// Bytes of archive consumed so far.
    private(set) var byteCount: UInt64 = 0
    /// CRC-32 of the uncompressed stream so far.
    private(set) var streamChecksum: UInt32 = 0
    /// Length of the uncompressed stream so far.
    private(set) var streamCount: UInt64 = 0
    /// Where each header slot starts in the uncompressed stream, in order.
    private(set) var slotStreamOffsets: [UInt64] = []

    private var whole = SHA256()

    func consume(_ segment: Segment) throws(ArchiveError) {
        if segment.isHeaderSlot { slotStreamOffsets.append(streamCount) }
        let hashing = slotStreamOffsets.isEmpty
        for span in segment.output {
            if hashing { whole.update(bufferPointer: span) }
            byteCount += UInt64(span.count)
        }
        let added = segment.streamCount
        guard added > 0 else { return }
        streamChecksum = UInt32(crc32_combine(uLong(streamChecksum), uLong(segment.checksum), Int(added)))
        streamCount += UInt64(added)
    }

    /// Lowercase hex SHA-256 of everything consumed; only when no header
    /// slot was.
    func finalize() -> String {
        PieceDigests.hex(whole.finalize())
    }
}
