import Foundation
import Testing

/// A scratch directory for one test, removed when the test ends.
final class ScratchDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("batcharchive-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        // Clean-up of a scratch folder; a leftover is harmless and must not fail the test.
        try? FileManager.default.removeItem(at: url)
    }

    func path(_ relative: String) -> String {
        url.appendingPathComponent(relative).path
    }

    /// Writes `data` at `relative`, creating parent folders.
    @discardableResult
    func write(_ data: Data, to relative: String) throws -> String {
        let target = url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: target)
        return target.path
    }
}

/// The outcome of running a command-line tool.
struct ToolResult {
    var status: Int32
    var output: Data
    var error: String
}

/// Runs `executable` with `arguments` and waits for it.
func runTool(_ executable: String, _ arguments: [String]) throws -> ToolResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    let error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    // Read before waiting so a full pipe cannot block the tool.
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ToolResult(status: process.terminationStatus, output: outputData, error: String(decoding: errorData, as: UTF8.self))
}

/// Finds a tool on the usual system paths.
func toolPath(_ name: String) -> String? {
    ["/usr/bin/", "/bin/", "/usr/local/bin/"].map { $0 + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// `count` bytes from the kernel's random source: incompressible data.
func randomBytes(_ count: Int) throws -> Data {
    let handle = try #require(FileHandle(forReadingAtPath: "/dev/urandom"))
    defer { handle.closeFile() }
    return handle.readData(ofLength: count)
}

/// Readable, highly compressible text of about `count` bytes.
func textBytes(_ count: Int) -> Data {
    var text = ""
    var line = 0
    while text.utf8.count < count {
        text += "line \(line): the quick brown fox jumps over the lazy dog\n"
        line += 1
    }
    return Data(text.utf8.prefix(count))
}
