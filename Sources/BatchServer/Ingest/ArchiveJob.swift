/// One step for the archiver, captured by value so it can leave the loop
/// thread.
enum ArchiveJob: Sendable {
    case directory(path: String, mode: UInt32, mtime: Int64)
    case file(path: String, stagingPath: String, mode: UInt32, mtime: Int64)
}
