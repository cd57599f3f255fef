/// What the scp source sent, as `SCPSinkParser` reports it. Events marked
/// "reply due" leave the parser waiting: the server must call `accept()` or
/// `reject(_:)` on the parser and send the bytes it returns before the
/// client will send anything more.
public enum SCPEvent: Sendable, Hashable {
    /// `T<mtime> 0 <atime> 0`: times for the next file or directory (scp -p).
    /// Reply due.
    case times(mtime: Int64, atime: Int64)
    /// `D<mode> 0 <name>`: a directory begins. Reply due; a rejected
    /// directory is skipped by the client (no contents, no `E`).
    case enterDirectory(mode: UInt32, name: String)
    /// `E`: the current directory ends. Reply due.
    case exitDirectory
    /// `C<mode> <size> <name>`: a file begins. Reply due; once accepted,
    /// `fileData` events carry exactly `size` bytes. A rejected file is
    /// skipped by the client.
    case fileStart(mode: UInt32, size: UInt64, name: String)
    /// The next bytes of the current file's contents.
    case fileData([UInt8])
    /// All the file's bytes arrived and the client confirmed them with a
    /// `\0`. Reply due: accepting tells the client the file is stored.
    case fileEnd
    /// All the file's bytes arrived but the client reported that reading
    /// the file failed (it padded the data): the file must be discarded.
    /// Reply due.
    case fileFailed(message: String)
    /// A `\u{1}` (error) or `\u{2}` (fatal) line from the client. No reply;
    /// after a fatal one the client exits.
    case sourceError(fatal: Bool, message: String)

    /// Whether the server must answer before the client goes on.
    public var needsReply: Bool {
        switch self {
        case .times, .enterDirectory, .exitDirectory, .fileStart, .fileEnd, .fileFailed: return true
        case .fileData, .sourceError: return false
        }
    }
}
