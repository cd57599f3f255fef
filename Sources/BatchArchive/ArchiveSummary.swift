/// What a finished archive is: its size, its SHA-256 and the SHA-256 of each
/// fixed-size piece, as the catalogue stores them and receivers verify them.
public struct ArchiveSummary: Sendable, Equatable, Codable {
    /// Size of the `.tar.gz` file in bytes.
    public var size: UInt64
    /// SHA-256 of the whole file, lowercase hex.
    public var sha256: String
    /// Size of every piece but the last, which may be shorter.
    public var pieceSize: Int
    /// SHA-256 of each piece in file order, lowercase hex.
    public var pieces: [String]

    /// Creates a summary.
    public init(size: UInt64, sha256: String, pieceSize: Int, pieces: [String]) {
        self.size = size
        self.sha256 = sha256
        self.pieceSize = pieceSize
        self.pieces = pieces
    }
}
