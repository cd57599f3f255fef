/// A sealed batch kept past its topic's retention.
public struct ExpiredBatch: Sendable, Equatable {
    /// The batch id.
    public var id: Int64
    /// Its topic; nil for a drop to named users.
    public var topic: String?
    /// When it sealed, in Unix seconds.
    public var sealedAt: Int64
    /// The retention that passed, in seconds.
    public var retention: Int

    public init(id: Int64, topic: String?, sealedAt: Int64, retention: Int) {
        self.id = id
        self.topic = topic
        self.sealedAt = sealedAt
        self.retention = retention
    }
}
