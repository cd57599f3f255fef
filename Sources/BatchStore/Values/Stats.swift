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
    /// The total archive size of sealed batches, in bytes: what the
    /// archives folder holds now.
    public var sealedBytes: Int64
    /// The archive size of every batch ever sealed, purged ones included.
    public var droppedBytes: Int64
    /// The same for batches sealed in the 24 hours before the count.
    public var droppedBytesLastDay: Int64
    /// Offers per state name.
    public var offers: [String: Int]
    /// Offers delivered: each is one target holding one verified archive.
    public var deliveries: Int
    /// Where delivered targets got their bytes from.
    public var relay: RelayShare
    /// Each target user's state, by name.
    public var targets: [TargetStats]

    /// Creates a set of counts.
    public init(users: [String: Int], topics: Int, batches: [String: Int], sealedBytes: Int64,
                droppedBytes: Int64, droppedBytesLastDay: Int64, offers: [String: Int], deliveries: Int,
                relay: RelayShare, targets: [TargetStats]) {
        self.users = users
        self.topics = topics
        self.batches = batches
        self.sealedBytes = sealedBytes
        self.droppedBytes = droppedBytes
        self.droppedBytesLastDay = droppedBytesLastDay
        self.offers = offers
        self.deliveries = deliveries
        self.relay = relay
        self.targets = targets
    }

    enum CodingKeys: String, CodingKey {
        case users, topics, batches, offers, deliveries, relay, targets
        case sealedBytes = "sealed_bytes"
        case droppedBytes = "dropped_bytes"
        case droppedBytesLastDay = "dropped_bytes_24h"
    }
}
