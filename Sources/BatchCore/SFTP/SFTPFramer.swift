/// Cuts the SFTP byte stream of one channel into packets.
///
/// Every SFTP packet is `uint32 length` followed by `length` bytes (type byte
/// and body). The framer checks each declared length as soon as its four
/// bytes arrive, so a hostile length is refused before anything that large
/// is buffered or allocated (libssh's own reader trusts up to 256 MiB).
///
/// Consumed bytes are not removed one packet at a time: a read index moves
/// forward and the buffer is compacted only when the consumed part is at
/// least half of it, which keeps copying linear in the traffic even for a
/// stream of large WRITE packets.
public struct SFTPFramer: Sendable {
    /// The largest packet body accepted, as OpenSSH's `SFTP_MAX_MSG_LENGTH`.
    public static let maxPacketLength = 256 * 1024

    private var frames = LengthPrefixedFrames(maxLength: SFTPFramer.maxPacketLength)

    /// Creates an empty framer.
    public init() {}

    /// Bytes received but not yet returned as packets.
    public var bufferedByteCount: Int { frames.bufferedByteCount }

    /// Adds bytes read from the channel. After a framing error the framer
    /// drops everything it is given: the stream is no longer in sync.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        frames.append(bytes)
    }

    /// Adds bytes read from the channel.
    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// Returns the next complete packet (type byte and body, without the
    /// length prefix), `nil` when more bytes are needed, or throws if the
    /// stream holds a length that can never be valid. Once it has thrown it
    /// throws the same error on every later call.
    public mutating func nextPacket() throws(SFTPError) -> [UInt8]? {
        do {
            return try frames.next()
        } catch {
            switch error {
            case .emptyFrame: throw .emptyPacket
            case .tooLarge(let length): throw .packetTooLarge(length)
            }
        }
    }
}
