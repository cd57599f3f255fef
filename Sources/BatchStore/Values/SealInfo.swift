/// What the archiver knows about a finished archive when the batch seals.
public struct SealInfo: Sendable, Equatable {
    /// The archive's size in bytes.
    public var size: Int64
    /// The archive's SHA-256, lowercase hex.
    public var sha256: String
    /// The size of every piece but the last, in bytes.
    public var pieceSize: Int
    /// Each piece's SHA-256, lowercase hex, in order.
    public var pieces: [String]

    /// Creates a seal summary.
    public init(size: Int64, sha256: String, pieceSize: Int, pieces: [String]) {
        self.size = size
        self.sha256 = sha256
        self.pieceSize = pieceSize
        self.pieces = pieces
    }
}
