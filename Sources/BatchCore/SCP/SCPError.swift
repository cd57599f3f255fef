/// Why an `scp -t` session was refused. The server sends the description to
/// the client as an scp error line (`\u{1}scp: …`) and ends the session:
/// after a protocol error the stream cannot be trusted.
public enum SCPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The exec command could not be split into words.
    case badCommandLine(CommandLineError)
    /// The command is not `scp`.
    case notSCP(String)
    /// `scp -f`: the client wants to download; drops only accept uploads.
    case sourceModeUnsupported
    /// An option the remote side of scp does not take.
    case unknownOption(String)
    /// Neither `-t` nor `-f` was given.
    case missingSinkFlag
    /// No target path after the options.
    case missingTarget
    /// More than one target path.
    case ambiguousTarget
    /// A header line longer than ``SCPSinkParser/maxLineLength`` bytes.
    case lineTooLong(Int)
    /// A header line with nothing before its newline.
    case emptyLine
    /// A line that starts with something other than `T`, `C`, `D`, `E`,
    /// `\u{1}` or `\u{2}`; carries the line, shortened.
    case unknownRecord(String)
    /// A `T` line that is not `T<mtime> <usec> <atime> <usec>`.
    case badTimes(String)
    /// A `C` or `D` line whose mode is not four octal digits and a space.
    case badMode(String)
    /// A `C` or `D` line whose size is not 1 to 19 decimal digits and a space.
    case badSize(String)
    /// A file larger than the configured maximum.
    case fileTooLarge(size: UInt64, limit: UInt64)
    /// A file or directory name scp must never create.
    case badName(String, reason: String)
    /// An `E` line that is not exactly `E`.
    case badEnd(String)
    /// A `D` line although the command had no `-r`.
    case directoryWithoutRecursive
    /// An `E` line with no directory open.
    case unmatchedEnd
    /// The byte after a file's data was not `\0` or an error line.
    case badFileTrailer(UInt8)
    /// The client sent bytes while the server still owed it a reply; real
    /// scp clients wait for every reply.
    case dataBeforeReply
    /// Bytes arrived after the client reported a fatal error.
    case dataAfterFatalError
    /// The caller answered although no reply was due.
    case noReplyPending
    /// The stream ended inside a line or a file's data.
    case truncated

    public var description: String {
        switch self {
        case .badCommandLine(let error):
            return "cannot read the scp command line: \(error)"
        case .notSCP(let word):
            return "'\(word)' is not scp; this server accepts only 'scp -t PATH' and sftp"
        case .sourceModeUnsupported:
            return "downloading with scp is not supported; this server only accepts uploads"
        case .unknownOption(let option):
            return "scp option '\(option)' is not supported; use -r, -p, -d, -v and -t"
        case .missingSinkFlag:
            return "scp was run without -t; only uploads (scp -t PATH) are accepted"
        case .missingTarget:
            return "scp -t needs a target path"
        case .ambiguousTarget:
            return "ambiguous target: scp -t takes exactly one path"
        case .lineTooLong(let limit):
            return "protocol error: scp header line is longer than \(limit) bytes"
        case .emptyLine:
            return "protocol error: unexpected <newline>"
        case .unknownRecord(let line):
            return "protocol error: expected a T, C, D or E record, got '\(line)'"
        case .badTimes(let line):
            return "protocol error: bad time record '\(line)'"
        case .badMode(let line):
            return "protocol error: bad mode in '\(line)'; expected four octal digits"
        case .badSize(let line):
            return "protocol error: bad size in '\(line)'"
        case .fileTooLarge(let size, let limit):
            return "file of \(size) bytes is larger than the \(limit)-byte limit"
        case .badName(let name, let reason):
            return "error: unexpected filename '\(name)': \(reason)"
        case .badEnd(let line):
            return "protocol error: bad end-of-directory record '\(line)'"
        case .directoryWithoutRecursive:
            return "protocol error: received directory without -r"
        case .unmatchedEnd:
            return "protocol error: end of directory without a matching directory"
        case .badFileTrailer(let byte):
            return "protocol error: file data ended with byte \(byte) instead of a status"
        case .dataBeforeReply:
            return "protocol error: data arrived before the server answered"
        case .dataAfterFatalError:
            return "protocol error: data arrived after a fatal error"
        case .noReplyPending:
            return "no scp reply is due"
        case .truncated:
            return "lost connection: the scp stream ended inside a record or a file"
        }
    }
}
