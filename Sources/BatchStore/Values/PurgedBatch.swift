/// What purging a batch did, and what is left for the caller to do.
public struct PurgedBatch: Sendable, Equatable {
    /// The batch id.
    public var id: Int64
    /// The archive to delete now; nil if the batch never had one.
    public var archive: String?
    /// Targets whose offer was still open: they should be told the offer is withdrawn.
    public var withdrawnFrom: [String]

    public init(id: Int64, archive: String?, withdrawnFrom: [String]) {
        self.id = id
        self.archive = archive
        self.withdrawnFrom = withdrawnFrom
    }
}
