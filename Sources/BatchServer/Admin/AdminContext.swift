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
        try KeyFile.keys(in: text(ofKeyFile: path), path: Self.name(ofKeyFile: path))
    }

    /// The users and keys of a `batchctl user import` file, or of standard
    /// input when `path` is `-`.
    func users(fromFile path: String) throws(AdminError) -> [ImportedUser] {
        try ImportedUser.parse(text(ofKeyFile: path), path: Self.name(ofKeyFile: path))
    }

    /// The text of a key file; a remote admin may only use standard input.
    private func text(ofKeyFile path: String) throws(AdminError) -> String {
        if path == "-" {
            guard let input = readInput() else {
                throw .usage("'-' reads standard input, but there is none")
            }
            return input
        }
        if isRemote {
            throw .usage("over ssh, key files must come on standard input: give '-' and pipe the file in")
        }
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .keyFileUnreadable(path: path, reason: Self.reason(error, path: path))
        }
    }

    private static func name(ofKeyFile path: String) -> String {
        path == "-" ? "standard input" : path
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
