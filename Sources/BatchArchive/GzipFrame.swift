/// The bytes around a raw deflate stream that make it a gzip file
/// (RFC 1952), written here because the stream is compressed in segments.
enum GzipFrame {
    /// The 10-byte header: magic, deflate, no flags, no time, Unix. XFL
    /// follows zlib: 2 for the slowest level, 4 for the fastest.
    static func header(level: Int32) -> [UInt8] {
        let extraFlags: UInt8 = level == 9 ? 2 : (level < 2 ? 4 : 0)
        return [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, extraFlags, 3]
    }

    /// An empty final block (fixed Huffman, end-of-block only) to end the
    /// deflate stream, then the CRC-32 and length of the uncompressed data,
    /// modulo 2^32, little-endian.
    static func trailer(checksum: UInt32, count: UInt64) -> [UInt8] {
        var bytes: [UInt8] = [0x03, 0x00]
        let length = UInt32(truncatingIfNeeded: count)
        for shift in stride(from: 0, to: 32, by: 8) {
            bytes.append(UInt8(truncatingIfNeeded: checksum >> UInt32(shift)))
        }
        for shift in stride(from: 0, to: 32, by: 8) {
            bytes.append(UInt8(truncatingIfNeeded: length >> UInt32(shift)))
        }
        return bytes
    }
}
