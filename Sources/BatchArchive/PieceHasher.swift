import Crypto

/// Hashes a byte stream as it is written: SHA-256 of the whole stream and of
/// each `pieceSize`-byte piece, so pieces can be fetched from several sources
/// and checked one by one. The last piece is whatever remains.
public struct PieceHasher {
    /// Bytes per piece; every piece but the last has exactly this size.
    public var pieceSize: Int { pieces.pieceSize }
    /// Bytes fed so far.
    public private(set) var byteCount: UInt64 = 0
    /// Hex digests of the pieces completed so far.
    public var completedPieces: [String] { pieces.completed }

    private var whole = SHA256()
    private var pieces: PieceDigests

    /// Creates a hasher; `pieceSize` must be positive.
    public init(pieceSize: Int) {
        pieces = PieceDigests(pieceSize: pieceSize)
    }

    /// Feeds the next bytes of the stream.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        whole.update(bufferPointer: bytes)
        byteCount += UInt64(bytes.count)
        pieces.update(bytes)
    }

    /// The whole-stream digest and every piece digest, the short last piece
    /// included. Call once, after the last `update`.
    public func finalize() -> (sha256: String, pieces: [String]) {
        (PieceDigests.hex(whole.finalize()), pieces.finalize())
    }
}
