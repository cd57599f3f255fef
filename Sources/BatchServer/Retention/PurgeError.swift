import BatchStore

/// Why a batch could not be purged, or was purged but left its archive.
public enum PurgeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The catalogue refused the purge (being delivered, not sealed) or failed.
    case store(StoreError)
    /// The catalogue says purged, but the archive could not be deleted.
    case archiveNotRemoved(path: String, reason: String)

    public var description: String {
        switch self {
        case .store(let error):
            return error.description
        case .archiveNotRemoved(let path, let reason):
            return "batch purged, but its archive '\(path)' could not be deleted: \(reason)"
        }
    }
}
