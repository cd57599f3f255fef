/// What re-reading a sealed archive found.
public enum ArchiveCheck: Sendable, Equatable {
    /// Its size, SHA-256 and every piece digest match the record.
    case intact
    /// The file is not there.
    case missing
    /// The file is there but could not be read to the end; `reason` says why.
    case unreadable(reason: String)
    /// The bytes differ from the record: `size` is the file's size, and
    /// `badPieces` the indexes of the pieces whose digest differs or that
    /// are missing or extra. Empty when only the whole digest differs.
    case corrupt(size: UInt64, badPieces: [Int])
}
