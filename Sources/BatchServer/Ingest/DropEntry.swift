/// A name in a batch's tree: a folder the client made, or a file.
enum DropEntry {
    case directory(mode: UInt32, mtime: Int64, sequence: Int, archived: Bool)
    case file(StagedFile)
}
