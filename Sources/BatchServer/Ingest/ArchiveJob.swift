import BatchCore
import BatchStore

/// One step for the archiver, captured by value so it can leave the loop
/// thread.
enum ArchiveJob: Sendable {
    case directory(path: String, mode: UInt32, mtime: Int64)
    case file(path: String, stagingPath: String, mode: UInt32, mtime: Int64)

    /// The step that archives `entry`, whose bytes, for a file, are in
    /// `stagingDirectory`.
    init(_ entry: StagedEntry, in stagingDirectory: String) {
        let mode = UInt32(truncatingIfNeeded: entry.mode) & TarHeader.permissionBits
        switch entry.kind {
        case .directory:
            self = .directory(path: entry.path, mode: mode, mtime: entry.mtime)
        case .file(let name, _):
            self = .file(path: entry.path, stagingPath: stagingDirectory + "/" + name, mode: mode, mtime: entry.mtime)
        }
    }
}
