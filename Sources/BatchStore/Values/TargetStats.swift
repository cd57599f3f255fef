/// Where one target user stands, as the catalogue knows it: what it is
/// subscribed to, its offers, and what it received. Whether it is
/// connected now only the running server knows (its metrics say).
public struct TargetStats: Sendable, Equatable, Codable {
    /// The target user.
    public var user: String
    /// How many topics it is subscribed to.
    public var topics: Int
    /// Its offers per state name, every state present.
    public var offers: [String: Int]
    /// Bytes it received for the batches offered to it, from every sender.
    public var receivedBytes: Int64
    /// When its last delivery completed, in Unix seconds; nil if none has.
    public var lastDeliveryAt: Int64?

    /// Creates a target's figures.
    public init(user: String, topics: Int, offers: [String: Int], receivedBytes: Int64, lastDeliveryAt: Int64?) {
        self.user = user
        self.topics = topics
        self.offers = offers
        self.receivedBytes = receivedBytes
        self.lastDeliveryAt = lastDeliveryAt
    }

    enum CodingKeys: String, CodingKey {
        case user, topics, offers
        case receivedBytes = "received_bytes"
        case lastDeliveryAt = "last_delivery_at"
    }

    // Written by hand so that a target never delivered to shows
    // `"last_delivery_at": null` rather than omitting the field.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(user, forKey: .user)
        try c.encode(topics, forKey: .topics)
        try c.encode(offers, forKey: .offers)
        try c.encode(receivedBytes, forKey: .receivedBytes)
        try c.encode(lastDeliveryAt, forKey: .lastDeliveryAt)
    }
}
