import Foundation

/// Hand-built SFTP v3 packets, for sending a server what no well-behaved
/// client would (through `ssh -s … sftp`), and a reader for its replies.
enum RawSFTP {
    static let initialize: [UInt8] = [0, 0, 0, 5, 1, 0, 0, 0, 3]
    static let writeCreateTruncate: UInt32 = 0x02 | 0x08 | 0x10

    static func u32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.bigEndian, Array.init) }
    static func u64(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.bigEndian, Array.init) }
    static func string(_ bytes: [UInt8]) -> [UInt8] { u32(UInt32(bytes.count)) + bytes }
    static func string(_ text: String) -> [UInt8] { string(Array(text.utf8)) }

    /// A packet with an honest length.
    static func packet(_ type: UInt8, id: UInt32, _ body: [UInt8]) -> [UInt8] {
        let payload = [type] + u32(id) + body
        return u32(UInt32(payload.count)) + payload
    }

    static func open(id: UInt32, _ path: [UInt8], flags: UInt32 = writeCreateTruncate) -> [UInt8] {
        packet(3, id: id, string(path) + u32(flags) + u32(0))
    }

    static func open(id: UInt32, _ path: String) -> [UInt8] { open(id: id, Array(path.utf8)) }

    static func write(id: UInt32, handle: [UInt8], offset: UInt64, _ data: [UInt8]) -> [UInt8] {
        packet(6, id: id, string(handle) + u64(offset) + string(data))
    }

    static func read(id: UInt32, handle: [UInt8], offset: UInt64, length: UInt32) -> [UInt8] {
        packet(5, id: id, string(handle) + u64(offset) + u32(length))
    }

    static func close(id: UInt32, handle: [UInt8]) -> [UInt8] { packet(4, id: id, string(handle)) }

    /// One reply: its type, request id, and for STATUS its code, for
    /// HANDLE the handle.
    struct Reply {
        let type: UInt8
        let id: UInt32
        let status: UInt32?
        let handle: [UInt8]?
    }

    /// The replies in a server's output, in order; a trailing partial
    /// packet is ignored.
    static func replies(in data: Data) -> [Reply] {
        let bytes = [UInt8](data)
        var replies: [Reply] = []
        var at = 0
        func readU32(_ offset: Int) -> UInt32? {
            guard offset + 4 <= bytes.count else { return nil }
            return bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
        }
        while let length = readU32(at), length >= 1, at + 4 + Int(length) <= bytes.count {
            let type = bytes[at + 4]
            let id = type == 2 ? 0 : readU32(at + 5) ?? 0
            var status: UInt32?
            var handle: [UInt8]?
            if type == 101 { status = readU32(at + 9) }
            if type == 102, let count = readU32(at + 9), at + 13 + Int(count) <= bytes.count {
                handle = Array(bytes[at + 13 ..< at + 13 + Int(count)])
            }
            replies.append(Reply(type: type, id: id, status: status, handle: handle))
            at += 4 + Int(length)
        }
        return replies
    }
}
