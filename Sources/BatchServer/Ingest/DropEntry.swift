/// A name in a batch's tree as a client sees it (STAT, READDIR): a folder
/// the source made, or a file with what is written of it so far.
enum DropEntry: Sendable, Equatable {
    case directory(mode: UInt32, mtime: Int64)
    case file(size: UInt64, mode: UInt32, mtime: Int64?)
}
