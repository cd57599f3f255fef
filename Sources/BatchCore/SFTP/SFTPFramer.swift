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

    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var failure: SFTPError?

    /// Creates an empty framer.
    public init() {}

    /// Bytes received but not yet returned as packets.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// Adds bytes read from the channel. After a framing error the framer
    /// drops everything it is given: the stream is no longer in sync.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard failure == nil, !bytes.isEmpty else { return }
        compactIfWorthwhile()
        buffer.append(contentsOf: bytes)
        // Check the next header now, so a hostile length stops buffering
        // even if the caller appends again before asking for a packet.
        _ = pendingLength()
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
        if let failure { throw failure }
        guard let length = pendingLength() else { return nil }
        if let failure { throw failure }
        let start = readIndex + 4
        guard buffer.count - start >= length else { return nil }
        let packet = Array(buffer[start ..< start + length])
        readIndex = start + length
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        }
        return packet
    }

    /// Reads and checks the length of the packet at the read index; `nil`
    /// until its four bytes are there. An invalid length is recorded as the
    /// framer's failure and the buffer released; the caller checks
    /// `failure` afterwards.
    private mutating func pendingLength() -> Int? {
        guard buffer.count - readIndex >= 4 else { return nil }
        let length = Int(buffer[readIndex]) << 24 | Int(buffer[readIndex + 1]) << 16
            | Int(buffer[readIndex + 2]) << 8 | Int(buffer[readIndex + 3])
        if length == 0 {
            fail(.emptyPacket)
        } else if length > SFTPFramer.maxPacketLength {
            fail(.packetTooLarge(length))
        }
        return length
    }

    private mutating func fail(_ error: SFTPError) {
        failure = error
        buffer = []
        readIndex = 0
    }

    /// Moves the unread bytes to the front once the consumed prefix is at
    /// least as large as what remains, so each byte is moved O(1) times.
    private mutating func compactIfWorthwhile() {
        guard readIndex > 0, readIndex * 2 >= buffer.count else { return }
        buffer.removeSubrange(0 ..< readIndex)
        readIndex = 0
    }
}
