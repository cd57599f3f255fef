#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a delivered archive was not extracted. Whatever the case, nothing
/// exists under the destination's name afterwards; each description is a
/// sentence naming the archive, entry or folder involved.
public enum ExtractionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The destination is empty or ends in `.` or `..`, so it names no new folder.
    case invalidDestination(String)
    /// Something already exists at the destination.
    case destinationExists(String)
    /// The folder that should hold the destination cannot be resolved.
    case parentUnusable(path: String, errno: Int32)
    /// The temporary folder beside the destination could not be created.
    case partialFolderFailed(parent: String, errno: Int32)
    /// The archive file could not be opened.
    case archiveUnreadable(archive: String, reason: String)
    /// The archive is not a gzip'd tar, or is truncated or damaged.
    case archiveCorrupt(archive: String, reason: String)
    /// An entry has no name, or a name that cannot be read.
    case unnamedEntry
    /// An entry's path starts with `/`.
    case absoluteEntry(String)
    /// An entry's path has a `..` component, so it could land outside the folder.
    case entryLeavesFolder(String)
    /// An entry is a symbolic link, device, FIFO, socket or other special file.
    case forbiddenEntryType(entry: String, kind: String)
    /// An entry is a hard link to `target`, another path in or outside the archive.
    case hardLinkEntry(entry: String, target: String)
    /// An entry is a symbolic link pointing at `target`.
    case symbolicLinkEntry(entry: String, target: String)
    /// Unpacking `entry` would pass `limit` bytes in all: more than the
    /// disk's free space or the allowed expansion (`reason` says which).
    case expandsTooFar(entry: String, limit: Int64, reason: String)
    /// libarchive could not create or fill the entry on disk.
    case writeFailed(entry: String, reason: String)
    /// The finished folder could not be moved to its final name.
    case publishFailed(destination: String, errno: Int32)
    /// libarchive could not allocate its reader or writer.
    case outOfMemory
    /// Extraction failed with `cause` and the temporary folder could not be removed.
    indirect case cleanupFailed(partial: String, errno: Int32, cause: ExtractionError)

    /// The sentence shown to the operator or logged.
    public var description: String {
        let notExtracted = "the archive was not extracted"
        switch self {
        case .invalidDestination(let path):
            return "'\(path)' does not name a new folder to extract into; give a path whose last component is a plain name"
        case .destinationExists(let path):
            return "'\(path)' already exists; remove it or choose another folder, \(notExtracted)"
        case .parentUnusable(let path, let code):
            return "cannot use '\(path)' as the folder to extract into: \(Self.reason(code))"
        case .partialFolderFailed(let parent, let code):
            return "cannot create a temporary folder in '\(parent)': \(Self.reason(code)); \(notExtracted)"
        case .archiveUnreadable(let archive, let reason):
            return "cannot open archive '\(archive)': \(reason)"
        case .archiveCorrupt(let archive, let reason):
            return "archive '\(archive)' is damaged or not a gzip'd tar (\(reason)); \(notExtracted)"
        case .unnamedEntry:
            return "an entry has an empty or unreadable name; \(notExtracted)"
        case .absoluteEntry(let entry):
            return "entry '\(entry)' is an absolute path; \(notExtracted)"
        case .entryLeavesFolder(let entry):
            return "entry '\(entry)' leaves the folder; \(notExtracted)"
        case .forbiddenEntryType(let entry, let kind):
            return "entry '\(entry)' is a \(kind), and only regular files and folders are allowed; \(notExtracted)"
        case .hardLinkEntry(let entry, let target):
            return "entry '\(entry)' is a hard link to '\(target)', and links are never extracted; \(notExtracted)"
        case .symbolicLinkEntry(let entry, let target):
            return "entry '\(entry)' is a symbolic link to '\(target)', and links are never extracted; \(notExtracted)"
        case .expandsTooFar(let entry, let limit, let reason):
            return "extracting '\(entry)' would write more than \(limit) bytes in all, \(reason); the archive stays in the inbox"
        case .writeFailed(let entry, let reason):
            return "cannot write entry '\(entry)': \(reason); \(notExtracted)"
        case .publishFailed(let destination, let code):
            return "cannot move the extracted folder to '\(destination)': \(Self.reason(code)); \(notExtracted)"
        case .outOfMemory:
            return "libarchive could not allocate memory; \(notExtracted)"
        case .cleanupFailed(let partial, let code, let cause):
            return "\(cause.description); its temporary folder '\(partial)' could not be removed (\(Self.reason(code))) and should be deleted by hand"
        }
    }

    private static func reason(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
