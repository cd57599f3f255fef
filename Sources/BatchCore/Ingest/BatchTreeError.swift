/// Why a change to an open batch's tree was refused; each names the path
/// below the destination it is about.
public enum BatchTreeError: Error, Sendable, Equatable {
    case alreadyExists(String)
    case noSuchFile(String)
    case notADirectory(String)
    case isADirectory(String)
    case directoryNotEmpty(String)
    /// A folder cannot be moved into itself.
    case intoItself(from: String, to: String)
}
