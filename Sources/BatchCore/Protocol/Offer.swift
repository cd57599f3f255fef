/// What the server tells a target about a sealed batch: where it came from,
/// what it holds, and the hashes the target checks every fetched byte
/// against.
///
/// The archive is cut into pieces of `pieceSize` bytes (the last one
/// shorter); `pieces[i]` is the lowercase hex SHA-256 of piece `i`, and
/// `sha256` that of the whole archive. A target trusts neither the server
/// nor a peer for content, only these hashes.
///
/// An archive of more than ``inlinePieceLimit`` pieces is offered without
/// its list, so an offer stays small whatever the batch: `pieces` is empty
/// and `pieceListSHA256` pins the list, which the target fetches with
/// `pieces ID FIRST LAST` (a ``FetchRequest`` for hashes) before it fetches a byte.
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
    /// Lowercase hex SHA-256 of each piece, in order; empty in an offer
    /// that left the list out (see ``piecesListed``).
    public var pieces: [String]
    /// The number of pieces the archive is cut into.
    public var pieceCount: Int
    /// When the offer left the piece list out: the lowercase hex SHA-256 of
    /// the pieces' hashes as raw 32-byte values, concatenated in order.
    public var pieceListSHA256: String?

    /// Whether `pieces` holds every piece's hash; a delivery needs it to.
    public var piecesListed: Bool { pieces.count == pieceCount }

    /// The most piece hashes an offer carries: about 70 kB of JSON. Past
    /// this the list is fetched on demand, once, by the targets that accept.
    public static let inlinePieceLimit = 1024

    /// The most pieces an offer may have: with the smallest pieces, a
    /// 64 GiB archive; with the default 4 MiB, 4 TiB. A target holds the
    /// list in memory, so it must be bounded.
    public static let maxPieceCount = 1 << 20

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
        files: [OfferFile], fileCount: Int? = nil, size: Int64, sha256: String, pieceSize: Int, pieces: [String],
        pieceCount: Int? = nil, pieceListSHA256: String? = nil
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
        self.pieceCount = pieceCount ?? pieces.count
        self.pieceListSHA256 = pieceListSHA256
    }

    /// This offer as a target is sent it: with its piece list when the
    /// list has at most ``inlinePieceLimit`` hashes, otherwise without it
    /// and pinned by `listDigest` (the SHA-256 ``pieceListSHA256`` names,
    /// which the caller computes: BatchCore has no hash functions).
    public func sent(listDigest: () -> String) -> Offer {
        guard pieces.count > Offer.inlinePieceLimit else { return self }
        var sent = self
        sent.pieceListSHA256 = listDigest()
        sent.pieces = []
        return sent
    }

    /// This offer with the piece list it left out, once `hashes` (fetched
    /// and checked against ``pieceListSHA256`` by the caller) is known.
    public func listing(_ hashes: [String]) -> Offer {
        var listed = self
        listed.pieces = hashes
        return listed
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
        case pieceCount = "piece_count"
        case pieceListSHA256 = "piece_list_sha256"
    }
}
