/// Builds one SFTP packet: reserves the 4-byte length, appends the type and
/// fields, and fills the length in at the end.
struct SFTPPacketWriter {
    private(set) var bytes: [UInt8]

    init(type: SFTPPacketType, capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity + 5)
        bytes.append(contentsOf: [0, 0, 0, 0, type.rawValue])
    }

    /// A writer for a body without length or type (an extended reply body).
    init(bodyCapacity: Int) {
        bytes = []
        bytes.reserveCapacity(bodyCapacity)
    }

    mutating func writeUInt32(_ value: UInt32) {
        bytes.append(contentsOf: [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)])
    }

    mutating func writeUInt64(_ value: UInt64) {
        writeUInt32(UInt32(value >> 32))
        writeUInt32(UInt32(value & 0xFFFF_FFFF))
    }

    mutating func writeString(_ value: [UInt8]) {
        writeUInt32(UInt32(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func writeString(_ value: String) {
        writeString(Array(value.utf8))
    }

    /// The finished packet with its length prefix filled in.
    mutating func finish() -> [UInt8] {
        let length = UInt32(bytes.count - 4)
        bytes[0] = UInt8(length >> 24)
        bytes[1] = UInt8(length >> 16 & 0xFF)
        bytes[2] = UInt8(length >> 8 & 0xFF)
        bytes[3] = UInt8(length & 0xFF)
        return bytes
    }
}

extension SFTPPacketWriter {
    /// Appends bytes without a length prefix (an extended reply's body).
    mutating func writeBytes(_ value: [UInt8]) {
        bytes.append(contentsOf: value)
    }
}
