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

    private var frames = LengthPrefixedFrames(maxLength: SubscriptionFramer.maxFrameLength)

    /// Creates an empty framer.
    public init() {}

    /// Bytes received but not yet returned as messages.
    public var bufferedByteCount: Int { frames.bufferedByteCount }

    /// Adds bytes read from the channel.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        frames.append(bytes)
    }

    /// Adds bytes read from the channel.
    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// The next whole message, nil if more bytes are needed.
    public mutating func next() throws(ProtocolError) -> SubscriptionMessage? {
        let payload: [UInt8]?
        do {
            payload = try frames.next()
        } catch {
            switch error {
            case .emptyFrame: throw .emptyFrame
            case .tooLarge(let length): throw .frameTooLarge(length)
            }
        }
        guard let payload else { return nil }
        return try SubscriptionMessage.decode(payload: payload)
    }
}
