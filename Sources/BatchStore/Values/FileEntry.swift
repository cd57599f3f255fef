/// One file inside a sealed batch's archive.
public struct FileEntry: Sendable, Equatable, Codable {
    /// The path relative to the batch's destination, as stored in the archive.
    public var path: String
    /// The size in bytes.
    public var size: Int64
    /// The permission bits, e.g. `0o644`.
    public var mode: Int
    /// The modification time in Unix seconds.
    public var mtime: Int64

    /// Creates a file entry.
    public init(path: String, size: Int64, mode: Int, mtime: Int64) {
        self.path = path
        self.size = size
        self.mode = mode
        self.mtime = mtime
    }
}
