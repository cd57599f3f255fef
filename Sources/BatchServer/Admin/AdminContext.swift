import BatchStore
import Foundation

/// What an admin command works on: the catalogue, the state directory's
/// layout, and where its output goes.
public struct AdminContext {
    /// The catalogue the command reads and changes.
    public let catalogue: Catalogue
    /// Where archives and staging live, for commands that touch files.
    public let layout: StateLayout
    /// Whether the command runs inside the server for a remote admin, who
    /// may not name files on the server.
    public let isRemote: Bool
    /// The server's host key file (its `.pub` sits beside it), when known.
    public let hostKeyPath: String?
    /// The topic settings of the server's config (retention, limits), read
    /// when a command needs them.
    public let topicRules: () throws(AdminError) -> TopicRules
    /// Where long commands show their progress: set only for a local run
    /// whose standard error is a terminal.
    public let progress: ProgressDisplay?
    private let output: (String) -> Void
    private let readInput: () -> String?

    /// Creates a context. `output` receives text ready to write, each chunk
    /// ending in a newline; `readInput` returns all of standard input, or nil
    /// when there is none to read.
    public init(catalogue: Catalogue, layout: StateLayout, isRemote: Bool, hostKeyPath: String? = nil,
                topicRules: @escaping () throws(AdminError) -> TopicRules = { TopicRules() },
                progress: ProgressDisplay? = nil, output: @escaping (String) -> Void, readInput: @escaping () -> String?) {
        self.topicRules = topicRules
        self.catalogue = catalogue
        self.layout = layout
        self.isRemote = isRemote
        self.hostKeyPath = hostKeyPath
        self.progress = progress
        self.output = output
        self.readInput = readInput
    }

    /// Writes one line of output, taking the progress bar off the
    /// terminal's line first.
    public func write(_ line: String) {
        progress?.clear()
        output(line + "\n")
    }

    /// Writes `value` as one JSON document: pretty-printed, keys sorted, so
    /// the same data always prints the same text.
    public func writeJSON<T: Encodable>(_ value: T) throws(AdminError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            let data = try encoder.encode(value)
            output(String(decoding: data, as: UTF8.self) + "\n")
        } catch {
            throw .output(String(describing: error))
        }
    }

    /// Runs a catalogue operation, turning its error into an `AdminError`.
    public func store<T>(_ body: (Catalogue) throws(StoreError) -> T) throws(AdminError) -> T {
        do throws(StoreError) {
            return try body(catalogue)
        } catch {
            throw .store(error)
        }
    }

    /// The keys in an `authorized_keys`-format file, or on standard input
    /// when `path` is `-`. A remote admin may only use standard input.
    func keys(fromFile path: String) throws(AdminError) -> [NewKey] {
        let text: String
        if path == "-" {
            guard let input = readInput() else {
                throw .usage("--key - reads standard input, but there is none")
            }
            text = input
        } else if isRemote {
            throw .usage("over ssh, --key takes '-' and reads the key lines from standard input")
        } else {
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw .keyFileUnreadable(path: path, reason: Self.reason(error, path: path))
            }
        }
        return try KeyFile.keys(in: text, path: path == "-" ? "standard input" : path)
    }

    /// Why a file could not be read, in the words of ls(1) and cat(1).
    private static func reason(_ error: any Error, path: String) -> String {
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        if !files.fileExists(atPath: path, isDirectory: &isDirectory) { return "no such file" }
        if isDirectory.boolValue { return "it is a directory" }
        if !files.isReadableFile(atPath: path) { return "permission denied" }
        return error.localizedDescription
    }
}
