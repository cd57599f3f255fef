/// The exec command of a legacy scp upload, as OpenSSH's `scp -O` runs it
/// on the server: `scp [-v] [-r] [-p] [-d] -t [--] PATH`.
public struct SCPCommand: Sendable, Hashable {
    /// `-v`: the client asked for verbose output.
    public var verbose: Bool
    /// `-r`: directories (`D`/`E` records) may follow.
    public var recursive: Bool
    /// `-p`: `T` records with times precede files and directories.
    public var preserveTimes: Bool
    /// `-d`: the client sends several files, so the target must be a
    /// directory.
    public var targetIsDirectory: Bool
    /// The target path as the client wrote it.
    public var target: String

    /// Creates a command value.
    public init(verbose: Bool = false, recursive: Bool = false, preserveTimes: Bool = false, targetIsDirectory: Bool = false, target: String) {
        self.verbose = verbose
        self.recursive = recursive
        self.preserveTimes = preserveTimes
        self.targetIsDirectory = targetIsDirectory
        self.target = target
    }

    /// Parses an exec request's command string, splitting it as a shell
    /// would. Options may be combined (`-rt`), as getopt allows.
    public static func parse(_ commandLine: String) throws(SCPError) -> SCPCommand {
        let words: [String]
        do {
            words = try ExecCommandLine.split(commandLine)
        } catch {
            throw .badCommandLine(error)
        }
        return try parse(arguments: words)
    }

    /// Parses already split words, the first being the program name.
    public static func parse(arguments: [String]) throws(SCPError) -> SCPCommand {
        guard let program = arguments.first else { throw .notSCP("") }
        guard program == "scp" else { throw .notSCP(program) }
        var command = SCPCommand(target: "")
        var sink = false
        var index = 1
        while index < arguments.count {
            let word = arguments[index]
            if word == "--" {
                index += 1
                break
            }
            guard word.hasPrefix("-"), word.count > 1 else { break }
            for letter in word.dropFirst() {
                switch letter {
                case "v": command.verbose = true
                case "r": command.recursive = true
                case "p": command.preserveTimes = true
                case "d": command.targetIsDirectory = true
                case "t": sink = true
                case "f": throw .sourceModeUnsupported
                default: throw .unknownOption("-\(letter)")
                }
            }
            index += 1
        }
        guard sink else { throw .missingSinkFlag }
        let operands = arguments[index...]
        guard let target = operands.first else { throw .missingTarget }
        guard operands.count == 1 else { throw .ambiguousTarget }
        command.target = target
        return command
    }
}
