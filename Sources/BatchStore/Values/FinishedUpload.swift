/// A batch whose upload finished but whose seal a crash cut short: its
/// entries, in archive order, are all in its staging folder.
public struct FinishedUpload: Sendable, Equatable {
    /// The batch's id.
    public var id: Int64
    /// The user who dropped it.
    public var source: String
    /// The topic it was dropped to; nil for named users.
    public var topic: String?
    /// Its entries in archive order.
    public var entries: [StagedEntry]

    /// Creates a finished upload.
    public init(id: Int64, source: String, topic: String? = nil, entries: [StagedEntry]) {
        self.id = id
        self.source = source
        self.topic = topic
        self.entries = entries
    }
}
