/// The framing both channel protocols share: each frame is a 4-byte
/// big-endian length and that many bytes. A declared length is checked as
/// soon as its four bytes arrive, so a hostile length is refused before
/// anything that large is buffered. A bad length is sticky: the stream has
/// lost its place, and everything appended afterwards is dropped.
///
/// Consumed bytes are not removed one frame at a time: a read index moves
/// forward and the buffer is compacted only when the consumed part is at
/// least half of it, which keeps copying linear in the traffic.
struct LengthPrefixedFrames: Sendable {
    /// Why the stream cannot be framed.
    enum Fault: Error, Sendable, Equatable {
        case emptyFrame
        case tooLarge(Int)
    }

    let maxLength: Int
    private var buffer: [UInt8] = []
    private var readIndex = 0
    private(set) var fault: Fault?

    init(maxLength: Int) {
        self.maxLength = maxLength
    }

    var bufferedByteCount: Int { buffer.count - readIndex }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard fault == nil, !bytes.isEmpty else { return }
        compactIfWorthwhile()
        buffer.append(contentsOf: bytes)
        // Check the next header now, so a hostile length stops buffering
        // even if the caller appends again before asking for a frame.
        _ = pendingLength()
    }

    /// The next whole frame's payload, nil while more bytes are needed.
    mutating func next() throws(Fault) -> [UInt8]? {
        if let fault { throw fault }
        guard let length = pendingLength() else { return nil }
        if let fault { throw fault }
        let start = readIndex + 4
        guard buffer.count - start >= length else { return nil }
        let payload = Array(buffer[start ..< start + length])
        readIndex = start + length
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        }
        return payload
    }

    private mutating func pendingLength() -> Int? {
        guard buffer.count - readIndex >= 4 else { return nil }
        let length = Int(buffer[readIndex]) << 24 | Int(buffer[readIndex + 1]) << 16
            | Int(buffer[readIndex + 2]) << 8 | Int(buffer[readIndex + 3])
        if length == 0 {
            fail(.emptyFrame)
        } else if length > maxLength {
            fail(.tooLarge(length))
        }
        return length
    }

    private mutating func fail(_ fault: Fault) {
        self.fault = fault
        buffer = []
        readIndex = 0
    }

    private mutating func compactIfWorthwhile() {
        guard readIndex > 0, readIndex * 2 >= buffer.count else { return }
        buffer.removeSubrange(0 ..< readIndex)
        readIndex = 0
    }
}
