/// The 512-byte block arithmetic every tar archive is built from
/// (POSIX.1-2001 `pax` interchange format, which extends ustar).
public enum TarBlock {
    /// Size of one tar block in bytes; headers and data are multiples of it.
    public static let size = 512

    /// The end-of-archive marker: two blocks of zero bytes.
    public static let endOfArchive = [UInt8](repeating: 0, count: 2 * size)

    /// How many zero bytes must follow `byteCount` bytes of entry data so the
    /// next header starts on a block boundary.
    public static func paddingCount(after byteCount: UInt64) -> Int {
        let remainder = Int(byteCount % UInt64(size))
        return remainder == 0 ? 0 : size - remainder
    }
}
