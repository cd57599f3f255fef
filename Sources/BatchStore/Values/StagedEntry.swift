/// One entry of a batch whose upload finished, as its archive holds it
/// and its staging folder keeps it until the seal is recorded: what a
/// restart builds the archive from again.
public struct StagedEntry: Sendable, Equatable {
    /// A folder, or a regular file and where its bytes are staged.
    public enum Kind: Sendable, Equatable {
        /// A folder.
        case directory
        /// A regular file of `size` bytes, kept as `stagingName` in the
        /// batch's staging folder.
        case file(stagingName: String, size: Int64)
    }

    /// The path relative to the batch's destination, as stored in the archive.
    public var path: String
    /// Folder or file.
    public var kind: Kind
    /// The permission bits, e.g. `0o644`.
    public var mode: Int
    /// The modification time in Unix seconds.
    public var mtime: Int64

    /// Creates a staged entry.
    public init(path: String, kind: Kind, mode: Int, mtime: Int64) {
        self.path = path
        self.kind = kind
        self.mode = mode
        self.mtime = mtime
    }

    /// The file as the sealed batch lists it; nil for a folder.
    public var file: FileEntry? {
        guard case .file(_, let size) = kind else { return nil }
        return FileEntry(path: path, size: size, mode: mode, mtime: mtime)
    }
}
