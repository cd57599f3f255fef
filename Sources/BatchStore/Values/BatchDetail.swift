import BatchCore

/// Everything the catalogue knows about one batch. Its JSON encoding is the
/// object `batchctl batch show ID --json` prints, whose fields are promised
/// to users: `id`, `topic`, `source`, `state`, `size`, `sha256`, `archive`,
/// `files[{path,size}]`, `targets[{user,state,reason,received_from}]`.
public struct BatchDetail: Sendable, Equatable, Codable {
    /// One target of the batch.
    public struct Target: Sendable, Equatable, Codable {
        /// The target user.
        public var user: String
        /// Its offer's state.
        public var state: OfferState
        /// Why it declined or failed; nil otherwise.
        public var reason: String?
        /// Bytes of the archive it received, by the node that sent them
        /// (`server` or a peer target's name).
        public var receivedFrom: [String: Int64]

        /// Creates a target description.
        public init(user: String, state: OfferState, reason: String?, receivedFrom: [String: Int64]) {
            self.user = user
            self.state = state
            self.reason = reason
            self.receivedFrom = receivedFrom
        }

        enum CodingKeys: String, CodingKey {
            case user, state, reason
            case receivedFrom = "received_from"
        }

        // Written by hand so `reason` is `null` rather than missing.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(user, forKey: .user)
            try c.encode(state, forKey: .state)
            try c.encode(reason, forKey: .reason)
            try c.encode(receivedFrom, forKey: .receivedFrom)
        }
    }

    /// The batch id.
    public var id: Int64
    /// The topic it was dropped to; nil for an `@user` batch.
    public var topic: String?
    /// The destination component, `ops` or `@bob,carol`.
    public var destination: String
    /// The user who dropped it.
    public var source: String
    /// The batch's state.
    public var state: BatchState
    /// Why it failed or was purged; nil otherwise.
    public var failure: String?
    /// The archive size in bytes; nil until sealed.
    public var size: Int64?
    /// The archive's SHA-256, lowercase hex; nil until sealed.
    public var sha256: String?
    /// Where the archive lies on the server; nil until sealed and after purge.
    public var archive: String?
    /// The piece size in bytes; nil until sealed.
    public var pieceSize: Int?
    /// How many pieces the archive is hashed in.
    public var pieceCount: Int
    /// The archive's files in archive order.
    public var files: [FileEntry]
    /// The targets, sorted by name.
    public var targets: [Target]
    /// When the batch opened, in Unix seconds.
    public var createdAt: Int64
    /// When it sealed, in Unix seconds.
    public var sealedAt: Int64?
    /// When it was purged, in Unix seconds.
    public var purgedAt: Int64?

    /// Creates a batch description.
    public init(id: Int64, topic: String?, destination: String, source: String, state: BatchState, failure: String?, size: Int64?, sha256: String?, archive: String?, pieceSize: Int?, pieceCount: Int, files: [FileEntry], targets: [Target], createdAt: Int64, sealedAt: Int64?, purgedAt: Int64? = nil) {
        self.id = id
        self.topic = topic
        self.destination = destination
        self.source = source
        self.state = state
        self.failure = failure
        self.size = size
        self.sha256 = sha256
        self.archive = archive
        self.pieceSize = pieceSize
        self.pieceCount = pieceCount
        self.files = files
        self.targets = targets
        self.createdAt = createdAt
        self.sealedAt = sealedAt
        self.purgedAt = purgedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, topic, destination, source, state, failure, size, sha256, archive, files, targets
        case pieceSize = "piece_size"
        case pieceCount = "piece_count"
        case createdAt = "created_at"
        case sealedAt = "sealed_at"
        case purgedAt = "purged_at"
    }

    // Written by hand: the contract shows `"topic": null` for @user batches,
    // and synthesized encoding would omit nil fields instead.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(topic, forKey: .topic)
        try c.encode(destination, forKey: .destination)
        try c.encode(source, forKey: .source)
        try c.encode(state, forKey: .state)
        try c.encode(failure, forKey: .failure)
        try c.encode(size, forKey: .size)
        try c.encode(sha256, forKey: .sha256)
        try c.encode(archive, forKey: .archive)
        try c.encode(pieceSize, forKey: .pieceSize)
        try c.encode(pieceCount, forKey: .pieceCount)
        try c.encode(files, forKey: .files)
        try c.encode(targets, forKey: .targets)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(sealedAt, forKey: .sealedAt)
        try c.encode(purgedAt, forKey: .purgedAt)
    }
}
