/// A batch purged at some time, as the catalogue remembers it: for the
/// server to tell targets about a purge another process made.
public struct PurgeNotice: Sendable, Equatable {
    /// The batch id.
    public var id: Int64
    /// Why it was purged (the batch's failure text).
    public var reason: String
    /// When, in Unix seconds.
    public var purgedAt: Int64
    /// Targets whose offer the purge ended.
    public var withdrawnFrom: [String]

    public init(id: Int64, reason: String, purgedAt: Int64, withdrawnFrom: [String]) {
        self.id = id
        self.reason = reason
        self.purgedAt = purgedAt
        self.withdrawnFrom = withdrawnFrom
    }
}
