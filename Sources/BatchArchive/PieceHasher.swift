import Crypto

/// Hashes a byte stream as it is written: SHA-256 of the whole stream and of
/// each `pieceSize`-byte piece, so pieces can be fetched from several sources
/// and checked one by one. The last piece is whatever remains.
public struct PieceHasher {
    /// Bytes per piece; every piece but the last has exactly this size.
    public let pieceSize: Int
    /// Bytes fed so far.
    public private(set) var byteCount: UInt64 = 0
    /// Hex digests of the pieces completed so far.
    public private(set) var completedPieces: [String] = []

    private var whole = SHA256()
    private var piece = SHA256()
    private var pieceFill = 0

    /// Creates a hasher; `pieceSize` must be positive.
    public init(pieceSize: Int) {
        precondition(pieceSize > 0, "piece size must be positive")
        self.pieceSize = pieceSize
    }

    /// Feeds the next bytes of the stream.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        whole.update(bufferPointer: bytes)
        byteCount += UInt64(bytes.count)
        var offset = 0
        while offset < bytes.count {
            let take = min(pieceSize - pieceFill, bytes.count - offset)
            piece.update(bufferPointer: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + take)]))
            pieceFill += take
            offset += take
            if pieceFill == pieceSize {
                completedPieces.append(PieceHasher.hex(piece.finalize()))
                piece = SHA256()
                pieceFill = 0
            }
        }
    }

    /// The whole-stream digest and every piece digest, the short last piece
    /// included. Call once, after the last `update`.
    public func finalize() -> (sha256: String, pieces: [String]) {
        var pieces = completedPieces
        if pieceFill > 0 {
            pieces.append(PieceHasher.hex(piece.finalize()))
        }
        return (PieceHasher.hex(whole.finalize()), pieces)
    }

    private static func hex(_ digest: SHA256.Digest) -> String {
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
