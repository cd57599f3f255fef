/// A batch whose upload finished but whose seal a crash cut short: its
/// entries, in archive order, are all in its staging folder.
public struct FinishedUpload: Sendable, Equatable {
    /// The batch's id.
    public var id: Int64
    /// The user who dropped it.
    public var source: String
    /// Its entries in archive order.
    public var entries: [StagedEntry]

    /// Creates a finished upload.
    public init(id: Int64, source: String, entries: [StagedEntry]) {
        self.id = id
        self.source = source
        self.entries = entries
    }
}
