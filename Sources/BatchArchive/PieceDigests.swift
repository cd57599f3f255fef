import Crypto

/// The SHA-256 of each `pieceSize`-byte piece of a byte stream, fed in
/// order; the last piece is whatever remains. Kept apart from the
/// whole-stream digest so the two can run on different threads.
struct PieceDigests {
    /// Bytes per piece; every piece but the last has exactly this size.
    let pieceSize: Int
    /// Hex digests of the pieces completed so far.
    private(set) var completed: [String] = []

    private var piece = SHA256()
    private var pieceFill = 0

    init(pieceSize: Int) {
        precondition(pieceSize > 0, "piece size must be positive")
        self.pieceSize = pieceSize
    }

    /// Feeds the next bytes of the stream.
    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            let take = min(pieceSize - pieceFill, bytes.count - offset)
            piece.update(bufferPointer: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + take)]))
            pieceFill += take
            offset += take
            if pieceFill == pieceSize {
                completed.append(PieceDigests.hex(piece.finalize()))
                piece = SHA256()
                pieceFill = 0
            }
        }
    }

    /// Every piece digest, the short last piece included.
    func finalize() -> [String] {
        pieceFill > 0 ? completed + [PieceDigests.hex(piece.finalize())] : completed
    }

    /// Lowercase hex, as the catalogue stores digests.
    static func hex(_ digest: SHA256.Digest) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(SHA256.Digest.byteCount * 2)
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
