/// What an extraction wrote: the regular files and folders it created from
/// the archive's entries, and the bytes of file content.
public struct ExtractionSummary: Sendable, Equatable {
    /// Regular files written.
    public var files: Int
    /// Folders created from folder entries; parents created implicitly for a
    /// file whose folder has no entry of its own are not counted.
    public var directories: Int
    /// Bytes of file content written.
    public var bytes: Int64

    /// Creates a summary.
    public init(files: Int, directories: Int, bytes: Int64) {
        self.files = files
        self.directories = directories
        self.bytes = bytes
    }
}
