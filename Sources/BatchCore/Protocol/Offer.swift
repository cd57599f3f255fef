/// What the server tells a target about a sealed batch: where it came from,
/// what it holds, and the hashes the target checks every fetched byte
/// against.
///
/// The archive is cut into pieces of `pieceSize` bytes (the last one
/// shorter); `pieces[i]` is the lowercase hex SHA-256 of piece `i`, and
/// `sha256` that of the whole archive. A target trusts neither the server
/// nor a peer for content, only these hashes.
public struct Offer: Codable, Sendable, Equatable {
    /// The smallest and largest piece sizes a valid offer may use. The
    /// lower bound keeps the offer's hash list short; the upper bound keeps
    /// the bytes a receiver holds unverified small.
    public static let pieceSizeLimits: ClosedRange<Int> = (64 * 1024)...(256 * 1024 * 1024)

    /// The batch number, as `batchctl batch list` shows it.
    public var batch: Int64
    /// The topic the batch was dropped to, or `nil` for an `@user` drop.
    public var topic: String?
    /// The first component of the drop path: `ops` or `@bob,carol`.
    public var destination: String
    /// The source user who dropped the batch.
    public var source: String
    /// Short name for inbox files: "<batch>-<name>.tar.gz". Topic name, or "from-<source>" for @user batches.
    public var name: String
    /// The files in the archive: all of them, or the first ones when the
    /// list would not fit ``fileListBudget`` (then `fileCount` says how
    /// many there are). Only shown to people; the archive is the truth.
    public var files: [OfferFile]
    /// How many files the archive holds, when `files` lists only some;
    /// nil when it lists them all.
    public var fileCount: Int?
    /// Size of the compressed archive in bytes.
    public var size: Int64
    /// Lowercase hex SHA-256 of the whole archive.
    public var sha256: String
    /// Bytes per piece; every piece but the last has exactly this size.
    public var pieceSize: Int
    /// Lowercase hex SHA-256 of each piece, in order.
    public var pieces: [String]

    /// The number of pieces the archive is cut into.
    public var pieceCount: Int { pieces.count }

    /// How many files the archive holds, listed or not.
    public var totalFiles: Int { fileCount ?? files.count }

    /// The most bytes of paths an offer lists, so a batch of 20,000 files
    /// still makes one frame well inside the 1 MiB a subscriber accepts,
    /// beside its piece hashes.
    public static let fileListBudget = 256 << 10

    /// `files` cut to fit ``fileListBudget``, with the total to set as
    /// `fileCount` when anything was left out.
    public static func listed(_ files: [OfferFile]) -> (files: [OfferFile], fileCount: Int?) {
        var used = 0
        var listed: [OfferFile] = []
        for file in files {
            // A path, its size and the JSON around them.
            used += file.path.utf8.count + 40
            guard used <= fileListBudget else { return (listed, files.count) }
            listed.append(file)
        }
        return (listed, nil)
    }

    /// Creates an offer. Nothing is checked here; a decoded offer has been
    /// validated by ``SubscriptionMessage/decode(payload:)``.
    public init(
        batch: Int64, topic: String?, destination: String, source: String, name: String,
        files: [OfferFile], fileCount: Int? = nil, size: Int64, sha256: String, pieceSize: Int, pieces: [String]
    ) {
        self.batch = batch
        self.topic = topic
        self.destination = destination
        self.source = source
        self.name = name
        self.files = files
        self.fileCount = fileCount
        self.size = size
        self.sha256 = sha256
        self.pieceSize = pieceSize
        self.pieces = pieces
    }

    /// Byte range of piece i in the archive.
    ///
    /// - Precondition: `0 <= i < pieceCount`; callers check indices that
    ///   come from a peer (a `fetch` request) before asking.
    public func range(ofPiece i: Int) -> Range<Int64> {
        precondition(i >= 0 && i < pieceCount, "piece \(i) is outside 0..<\(pieceCount)")
        let start = Int64(i) * Int64(pieceSize)
        return start ..< min(start + Int64(pieceSize), size)
    }

    /// How many pieces of `pieceSize` bytes an archive of `size` bytes has.
    static func expectedPieceCount(size: Int64, pieceSize: Int) -> Int64 {
        let divisor = Int64(pieceSize)
        return size / divisor + (size % divisor == 0 ? 0 : 1)
    }

    /// The field names on the wire and in stored JSON, matching the
    /// protocol's snake_case.
    private enum CodingKeys: String, CodingKey {
        case batch, topic, destination, source, name, files, size, sha256
        case fileCount = "file_count"
        case pieceSize = "piece_size"
        case pieces
    }
}
