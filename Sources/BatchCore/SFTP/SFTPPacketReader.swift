/// Reads SFTP's big-endian integers and length-prefixed strings from one
/// packet. Every read checks the bytes left first, so a lying length inside
/// a packet becomes ``SFTPError/truncated(_:)`` instead of an over-read or a
/// large allocation.
struct SFTPPacketReader {
    private let bytes: [UInt8]
    private var index: Int

    init(_ bytes: [UInt8], from index: Int = 0) {
        self.bytes = bytes
        self.index = index
    }

    var remaining: Int { bytes.count - index }

    mutating func readUInt8(_ field: String) throws(SFTPError) -> UInt8 {
        guard remaining >= 1 else { throw .truncated(field) }
        defer { index += 1 }
        return bytes[index]
    }

    mutating func readUInt32(_ field: String) throws(SFTPError) -> UInt32 {
        guard remaining >= 4 else { throw .truncated(field) }
        var value: UInt32 = 0
        for offset in 0 ..< 4 { value = value << 8 | UInt32(bytes[index + offset]) }
        index += 4
        return value
    }

    mutating func readUInt64(_ field: String) throws(SFTPError) -> UInt64 {
        guard remaining >= 8 else { throw .truncated(field) }
        var value: UInt64 = 0
        for offset in 0 ..< 8 { value = value << 8 | UInt64(bytes[index + offset]) }
        index += 8
        return value
    }

    /// An SFTP `string`: uint32 length and that many bytes, kept as bytes
    /// because paths and handles need not be text.
    mutating func readString(_ field: String) throws(SFTPError) -> [UInt8] {
        let length = Int(try readUInt32(field))
        guard remaining >= length else { throw .truncated(field) }
        defer { index += length }
        return Array(bytes[index ..< index + length])
    }

    /// An SFTP `string` that the protocol defines as text (extension names).
    mutating func readText(_ field: String) throws(SFTPError) -> String {
        let raw = try readString(field)
        guard let text = String(strictUTF8: raw) else { throw .invalidUTF8(field) }
        return text
    }

    /// The bytes left in the packet, for extension payloads kept raw.
    mutating func readRest() -> [UInt8] {
        defer { index = bytes.count }
        return Array(bytes[index...])
    }
}
