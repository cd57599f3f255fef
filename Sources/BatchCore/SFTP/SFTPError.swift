/// Why bytes from an SFTP client could not be read as a packet. Every case
/// is a protocol violation: the server logs the description and closes the
/// channel, because after a framing error the stream cannot be trusted.
public enum SFTPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A packet declared a length above ``SFTPFramer/maxPacketLength``.
    case packetTooLarge(Int)
    /// A packet declared a length of zero, so it has no type byte.
    case emptyPacket
    /// The packet ended before the named field was complete, or a length
    /// inside it pointed past its end.
    case truncated(String)
    /// The named field must be UTF-8 text (extension names) and is not.
    case invalidUTF8(String)

    public var description: String {
        switch self {
        case .packetTooLarge(let length):
            return "SFTP packet of \(length) bytes is larger than the \(SFTPFramer.maxPacketLength)-byte limit; "
                + "the client must split its requests"
        case .emptyPacket:
            return "SFTP packet of length 0 has no type; the client sent a malformed packet"
        case .truncated(let field):
            return "SFTP packet ends inside its \(field); the client sent a malformed or truncated packet"
        case .invalidUTF8(let field):
            return "SFTP \(field) is not valid UTF-8; the client sent a malformed packet"
        }
    }
}
