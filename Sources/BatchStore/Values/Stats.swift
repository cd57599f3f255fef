/// Counts over the whole catalogue, as `batchctl stats` shows them.
/// Every role, batch state and offer state appears, zero or not, so the
/// JSON has the same keys on every server.
public struct Stats: Sendable, Equatable, Codable {
    /// Users per role name.
    public var users: [String: Int]
    /// How many topics exist.
    public var topics: Int
    /// Batches per state name.
    public var batches: [String: Int]
    /// The total archive size of sealed batches, in bytes.
    public var sealedBytes: Int64
    /// Offers per state name.
    public var offers: [String: Int]

    /// Creates a set of counts.
    public init(users: [String: Int], topics: Int, batches: [String: Int], sealedBytes: Int64, offers: [String: Int]) {
        self.users = users
        self.topics = topics
        self.batches = batches
        self.sealedBytes = sealedBytes
        self.offers = offers
    }

    enum CodingKeys: String, CodingKey {
        case users, topics, batches, offers
        case sealedBytes = "sealed_bytes"
    }
}
