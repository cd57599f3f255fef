/// Why a batch whose seal a restart interrupted could not be sealed from
/// its staging folder. The batch is failed with this as its reason.
enum InterruptedSealError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A file's staged copy is gone.
    case stagedFileMissing(path: String, reason: String)
    /// A file's staged copy is not the size its upload finished with.
    case stagedFileChanged(path: String, expected: Int64, actual: Int64)
    /// The archive the interrupted seal left could not be removed to build it again.
    case archiveNotRemovable(path: String, reason: String)

    var description: String {
        switch self {
        case .stagedFileMissing(let path, let reason):
            return "cannot seal after a restart: the staged copy of '\(path)' is missing (\(reason)); send the batch again"
        case .stagedFileChanged(let path, let expected, let actual):
            return "cannot seal after a restart: the staged copy of '\(path)' has \(actual) bytes, not the \(expected) "
                + "uploaded; send the batch again"
        case .archiveNotRemovable(let path, let reason):
            return "cannot seal after a restart: the unfinished archive '\(path)' could not be removed (\(reason))"
        }
    }
}
