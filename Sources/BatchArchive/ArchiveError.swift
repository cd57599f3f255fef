#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why an archive could not be written. Each description is a sentence naming
/// the file involved and, for system calls, the operating system's reason.
public enum ArchiveError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The archive file could not be created (it may already exist).
    case createFailed(path: String, errno: Int32)
    /// Writing compressed bytes to the archive failed.
    case writeFailed(path: String, errno: Int32)
    /// Flushing the archive or its directory to stable storage failed.
    case syncFailed(path: String, errno: Int32)
    /// A file to be archived could not be opened or examined.
    case sourceUnreadable(path: String, errno: Int32)
    /// Reading a file's contents failed part-way.
    case sourceReadFailed(path: String, errno: Int32)
    /// The source is a directory, device, socket or other non-regular file.
    case sourceNotRegularFile(path: String)
    /// The source file became shorter while it was being archived.
    case sourceShrank(path: String, expected: UInt64, actual: UInt64)
    /// The archive-internal path is empty, absolute, has a `..` component or a NUL byte.
    case invalidEntryPath(String)
    /// The piece size is not a positive number of bytes.
    case invalidPieceSize(Int)
    /// The compression level is outside zlib's 0–9.
    case invalidLevel(Int32)
    /// zlib reported an error; `code` is its return value.
    case compressionFailed(code: Int32, message: String)
    /// The system refused a thread for compressing or writing the archive.
    case threadFailed(errno: Int32)
    /// An earlier error left the archive incomplete; it can only be aborted.
    case unusable(path: String)
    /// The archive was already finished or aborted.
    case closed(path: String)
    /// A streamed entry is open: nothing else may enter the archive until it ends.
    case streamedEntryOpen(path: String)
    /// No streamed entry is open to add data to or end.
    case noStreamedEntry(path: String)
    /// The entry's header does not fit the one block reserved for it (a
    /// long path, 8 GiB or more, an unusual mtime): archive it whole instead.
    case streamedHeaderTooLarge(entry: String)
    /// A streamed entry whose header was written when it began ended with
    /// another path, size, mode or mtime: archive it whole instead.
    case streamedHeaderChanged(entry: String)

    /// The sentence shown to the operator or logged.
    public var description: String {
        switch self {
        case .createFailed(let path, let code):
            return "cannot create archive '\(path)': \(ArchiveError.reason(code))"
        case .writeFailed(let path, let code):
            return "cannot write archive '\(path)': \(ArchiveError.reason(code))"
        case .syncFailed(let path, let code):
            return "cannot flush '\(path)' to disk: \(ArchiveError.reason(code))"
        case .sourceUnreadable(let path, let code):
            return "cannot open '\(path)' to archive it: \(ArchiveError.reason(code))"
        case .sourceReadFailed(let path, let code):
            return "cannot read '\(path)' while archiving it: \(ArchiveError.reason(code))"
        case .sourceNotRegularFile(let path):
            return "'\(path)' is not a regular file; only files and directories are archived"
        case .sourceShrank(let path, let expected, let actual):
            return "'\(path)' shrank from \(expected) to \(actual) bytes while it was being archived; it must not change until it is in the archive"
        case .invalidEntryPath(let path):
            return "'\(path)' is not a valid path inside an archive: it must be relative, non-empty and free of '..' and NUL"
        case .invalidPieceSize(let size):
            return "piece size \(size) is not a positive number of bytes"
        case .invalidLevel(let level):
            return "compression level \(level) is outside 0 (store) to 9 (smallest)"
        case .compressionFailed(let code, let message):
            return "zlib failed with code \(code): \(message)"
        case .threadFailed(let code):
            return "cannot start a thread to write the archive: \(ArchiveError.reason(code)); the system is short of threads or memory"
        case .unusable(let path):
            return "archive '\(path)' is incomplete after an earlier error; abort it and build it again"
        case .closed(let path):
            return "archive '\(path)' is already finished or aborted"
        case .streamedEntryOpen(let path):
            return "archive '\(path)' has a streamed entry open; end it before adding anything else"
        case .noStreamedEntry(let path):
            return "archive '\(path)' has no streamed entry open"
        case .streamedHeaderTooLarge(let entry):
            return "the header of '\(entry)' needs more than the one block reserved while streaming it; archive it whole"
        case .streamedHeaderChanged(let entry):
            return "'\(entry)' ended unlike the header written when it began streaming; archive it whole"
        }
    }

    private static func reason(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
