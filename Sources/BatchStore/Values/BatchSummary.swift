import BatchCore

/// One line of `batchctl batch list`.
public struct BatchSummary: Sendable, Equatable, Codable {
    /// One target of the batch and where it stands.
    public struct Target: Sendable, Equatable, Codable {
        /// The target user.
        public var user: String
        /// Its offer's state.
        public var state: OfferState

        /// Creates a target line.
        public init(user: String, state: OfferState) {
            self.user = user
            self.state = state
        }
    }

    /// The batch id.
    public var id: Int64
    /// The user who dropped it.
    public var source: String
    /// The destination component, `ops` or `@bob,carol`.
    public var destination: String
    /// The batch's state.
    public var state: BatchState
    /// The archive size in bytes; nil until sealed.
    public var size: Int64?
    /// How many files the archive holds.
    public var fileCount: Int
    /// Its targets, sorted by name.
    public var targets: [Target]
    /// When the batch opened, in Unix seconds.
    public var createdAt: Int64
    /// When it sealed, in Unix seconds.
    public var sealedAt: Int64?

    /// Creates a summary.
    public init(id: Int64, source: String, destination: String, state: BatchState, size: Int64?, fileCount: Int, targets: [Target], createdAt: Int64, sealedAt: Int64?) {
        self.id = id
        self.source = source
        self.destination = destination
        self.state = state
        self.size = size
        self.fileCount = fileCount
        self.targets = targets
        self.createdAt = createdAt
        self.sealedAt = sealedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, source, destination, state, size, targets
        case fileCount = "file_count"
        case createdAt = "created_at"
        case sealedAt = "sealed_at"
    }

    // Written by hand so absent values appear as `null`, keeping every
    // object of a listing the same shape.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(source, forKey: .source)
        try c.encode(destination, forKey: .destination)
        try c.encode(state, forKey: .state)
        try c.encode(size, forKey: .size)
        try c.encode(fileCount, forKey: .fileCount)
        try c.encode(targets, forKey: .targets)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(sealedAt, forKey: .sealedAt)
    }
}
