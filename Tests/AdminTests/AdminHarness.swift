import BatchServer
import BatchStore
import Foundation
import Testing

/// A state directory in the system temporary directory with a way to run
/// `batchctl` against it and collect what it prints.
final class AdminHarness {
    let directory: String

    init() throws {
        directory = NSTemporaryDirectory() + "batchctl-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit {
        do {
            try FileManager.default.removeItem(atPath: directory)
        } catch {
            Issue.record("could not remove \(directory): \(error)")
        }
    }

    var state: String { directory + "/state" }

    /// What one run printed and returned.
    struct Result {
        var status: Int32
        var output: String
        var errors: String
    }

    /// Runs `batchctl --state STATE ARGUMENTS…`; `terminalColumns` plays
    /// a terminal of that width on standard error.
    func run(_ arguments: [String], input: String? = nil, terminalColumns: Int? = nil) -> Result {
        runRaw(["--state", state] + arguments, input: input, terminalColumns: terminalColumns)
    }

    /// Runs `batchctl ARGUMENTS…` exactly as given.
    func runRaw(_ arguments: [String], input: String? = nil, terminalColumns: Int? = nil) -> Result {
        let collected = Collected()
        let status = Batchctl.run(
            arguments: arguments, defaultStateDirectory: state, terminalColumns: terminalColumns, readInput: { input },
            output: { collected.output += $0 }, errorOutput: { collected.errors += $0 })
        return Result(status: status, output: collected.output, errors: collected.errors)
    }

    /// Writes a file in the harness directory and returns its path.
    func file(_ name: String, _ contents: String) throws -> String {
        let path = directory + "/" + name
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A key file with `count` distinct ed25519 keys.
    func keyFile(_ name: String, count: Int = 1, seed: Int = 0) throws -> String {
        let lines = (0..<count).map { sampleKeyLine(seed + $0, comment: "\(name)-\($0)@host") }
        return try file(name + ".pub", lines.joined(separator: "\n") + "\n")
    }

    /// The catalogue under the harness's state directory.
    func catalogue() throws -> Catalogue {
        try Catalogue(path: StateLayout(directory: state).catalogue)
    }
}

/// What a run wrote; only one run uses it at a time.
private final class Collected {
    var output = ""
    var errors = ""
}

/// An `authorized_keys` line for an ed25519 key whose 32 key bytes are all `n`.
func sampleKeyLine(_ n: Int, comment: String) -> String {
    func field(_ bytes: [UInt8]) -> [UInt8] {
        let count = UInt32(bytes.count)
        return [UInt8(count >> 24), UInt8((count >> 16) & 0xFF), UInt8((count >> 8) & 0xFF), UInt8(count & 0xFF)] + bytes
    }
    let blob = field(Array("ssh-ed25519".utf8)) + field([UInt8](repeating: UInt8(n & 0xFF), count: 32))
    return "ssh-ed25519 \(Data(blob).base64EncodedString()) \(comment)"
}
