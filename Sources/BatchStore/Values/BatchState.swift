/// Where a batch is in its life.
public enum BatchState: String, Codable, Sendable, CaseIterable, Equatable {
    /// Files are still arriving on the source's channel.
    case open
    /// The archive is complete, synced and offered.
    case sealed
    /// The batch could not be completed; see its failure reason.
    case failed
    /// An admin deleted the archive; the record stays for history.
    case purged
}
