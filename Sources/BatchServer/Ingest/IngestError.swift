import BatchCore
import BatchStore

/// Why an upload request was refused. The description is what the client
/// sees: in the SFTP status message, on stderr, or in the scp error line.
public enum IngestError: Error, Sendable, Equatable, CustomStringConvertible {
    case path(PathError)
    case recipients(String)
    case notInDestination(String)
    case noSuchFile(String)
    case notADirectory(String)
    case alreadyExists(String)
    case isADirectory(String)
    case directoryNotEmpty(String)
    case writeOnly(String)
    case linksRefused
    case crossDestination(String, String)
    /// A folder renamed into itself.
    case intoItself(String, String)
    /// `seal` found no open batch, or nothing complete in it.
    case nothingToSeal(String)
    case fileTooLarge(String, UInt64)
    /// The batch would hold more than its topic's MaxBatchSize.
    case batchTooLarge(destination: String, limit: Int64)
    /// The source would drop more than its SourceQuota in 24 hours.
    case quotaExceeded(destination: String, quota: Int64, used: Int64)
    case badHandle
    case tooManyHandles(Int)
    /// The user holds MaxOpenFilesPerUser files open across connections.
    case tooManyOpenFiles(Int)
    /// The user has MaxOpenBatchesPerUser batches open (not yet sealed).
    case tooManyOpenBatches(Int)
    case unsupported(String)
    case storage(String)
    /// The session's key was revoked, or its user removed, during the upload.
    case revoked

    public var description: String {
        switch self {
        case .path(let error):
            return error.description
        case .recipients(let reason):
            return reason
        case .notInDestination(let path):
            return "'\(path)': files go inside a topic or @user folder, e.g. ops/\(path.split(separator: "/").last ?? "file")"
        case .noSuchFile(let path):
            return "'\(path)' does not exist in this upload"
        case .notADirectory(let path):
            return "'\(path)' is not a folder"
        case .alreadyExists(let path):
            return "'\(path)' already exists in this upload"
        case .isADirectory(let path):
            return "'\(path)' is a folder"
        case .directoryNotEmpty(let path):
            return "folder '\(path)' is not empty"
        case .writeOnly(let path):
            return "'\(path)' cannot be read: the drop area is write-only"
        case .linksRefused:
            return "links are not allowed in the drop area"
        case .crossDestination(let from, let to):
            return "cannot move '\(from)' to '\(to)': a file stays in the batch it was dropped into"
        case .intoItself(let from, let to):
            return "cannot move folder '\(from)' into itself ('\(to)')"
        case .nothingToSeal(let destination):
            return "nothing to seal: you have no open batch to '\(destination)'"
        case .fileTooLarge(let path, let limit):
            return "'\(path)' would exceed the largest file allowed (\(limit) bytes)"
        case .batchTooLarge(let destination, let limit):
            return "the batch for '\(destination)' would exceed \(ByteCountText.describe(limit)), "
                + "the largest batch it accepts (MaxBatchSize); send the rest as another batch"
        case .quotaExceeded(let destination, let quota, let used):
            return "this would exceed your quota for '\(destination)': \(ByteCountText.describe(used)) of "
                + "\(ByteCountText.describe(quota)) used in the last 24 hours (SourceQuota); try again later or ask an admin"
        case .badHandle:
            return "no such open file or folder handle"
        case .tooManyHandles(let limit):
            return "too many open handles (at most \(limit))"
        case .tooManyOpenFiles(let limit):
            return "you have \(limit) files open for upload across your connections (MaxOpenFilesPerUser); close some and try again"
        case .tooManyOpenBatches(let limit):
            return "you have \(limit) batches open (MaxOpenBatchesPerUser); let some seal and try again"
        case .unsupported(let what):
            return "\(what) is not supported by batchd"
        case .storage(let reason):
            return "the server could not store the upload: \(reason)"
        case .revoked:
            return "the key this session logged in with has been revoked (or its user removed); the upload was not sealed"
        }
    }

    /// The SFTP status code that best matches this refusal.
    public var sftpStatus: SFTPStatusCode {
        switch self {
        case .noSuchFile, .recipients, .notADirectory: return .noSuchFile
        case .unsupported: return .opUnsupported
        case .badHandle: return .failure
        case .storage, .alreadyExists, .directoryNotEmpty, .isADirectory, .tooManyHandles, .tooManyOpenFiles, .tooManyOpenBatches,
             .batchTooLarge, .quotaExceeded:
            return .failure
        default: return .permissionDenied
        }
    }
}

extension IngestError {
    /// The client-facing form of a catalogue refusal.
    init(_ error: StoreError) {
        self = .recipients(error.description)
    }
}

extension IngestError {
    /// The client-facing form of a refused change to a batch's tree.
    init(_ error: BatchTreeError) {
        switch error {
        case .alreadyExists(let path): self = .alreadyExists(path)
        case .noSuchFile(let path): self = .noSuchFile(path)
        case .notADirectory(let path): self = .notADirectory(path)
        case .isADirectory(let path): self = .isADirectory(path)
        case .directoryNotEmpty(let path): self = .directoryNotEmpty(path)
        case .intoItself(let from, let to): self = .intoItself(from, to)
        }
    }
}
