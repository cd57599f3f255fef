/// Cuts the byte stream of a `subscribe` channel into messages.
///
/// Every frame is a 4-byte big-endian length followed by that many bytes of
/// JSON. The length is checked as soon as its four bytes arrive, so a
/// hostile length is refused before anything that large is buffered.
///
/// A bad length is sticky: the stream has lost its place, so the framer
/// throws the same error from then on and drops whatever it is given. A
/// well-framed message that fails to decode is consumed and its error
/// thrown once; the next call goes on with the following frame.
///
/// Consumed bytes are not removed one frame at a time: a read index moves
/// forward and the buffer is compacted only when the consumed part is at
/// least half of it, which keeps copying linear in the traffic.
public struct SubscriptionFramer: Sendable {
    /// The largest frame payload accepted: 1 MiB, room for an offer of
    /// about 15,000 piece hashes.
    public static let maxFrameLength = 1 << 20

    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var failure: ProtocolError?

    /// Creates an empty framer.
    public init() {}

    /// Bytes received but not yet returned as messages.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// Adds bytes read from the channel.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard failure == nil, !bytes.isEmpty else { return }
        compactIfWorthwhile()
        buffer.append(contentsOf: bytes)
        // Check the next header now, so a hostile length stops buffering
        // even if the caller appends again before asking for a message.
        _ = pendingLength()
    }

    /// Adds bytes read from the channel.
    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// Next whole message, nil if more bytes are needed. A length of 0 or over the max is refused as soon as the 4 length bytes are in, before buffering (sticky error).
    public mutating func next() throws(ProtocolError) -> SubscriptionMessage? {
        if let failure { throw failure }
        guard let length = pendingLength() else { return nil }
        if let failure { throw failure }
        let start = readIndex + 4
        guard buffer.count - start >= length else { return nil }
        let payload = Array(buffer[start ..< start + length])
        readIndex = start + length
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        }
        return try SubscriptionMessage.decode(payload: payload)
    }

    /// Reads and checks the length of the frame at the read index; `nil`
    /// until its four bytes are there. An invalid length is recorded as the
    /// framer's failure and the buffer released; callers check `failure`.
    private mutating func pendingLength() -> Int? {
        guard buffer.count - readIndex >= 4 else { return nil }
        let length = Int(buffer[readIndex]) << 24 | Int(buffer[readIndex + 1]) << 16
            | Int(buffer[readIndex + 2]) << 8 | Int(buffer[readIndex + 3])
        if length == 0 {
            fail(.emptyFrame)
        } else if length > SubscriptionFramer.maxFrameLength {
            fail(.frameTooLarge(length))
        }
        return length
    }

    private mutating func fail(_ error: ProtocolError) {
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
