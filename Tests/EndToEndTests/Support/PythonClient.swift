import Foundation

/// The hostile and foreign clients in `Clients/`, run with Debian's
/// python3, where the Makefile installs python3-paramiko.
struct PythonClient {
    let process: Process
    /// What the client prints, readable to its end once it exits.
    let output: Pipe

    private static let python = "/usr/bin/python3"

    /// The path of `Clients/NAME`.
    static func path(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Clients").appendingPathComponent(name).path
    }

    /// Runs `Clients/NAME` to completion within `timeout`.
    static func run(_ name: String, _ arguments: [String], timeout: Double = 60) throws -> ProcessResult {
        try ProcessRunner.run([python, path(name)] + arguments, timeout: timeout)
    }

    /// Starts `Clients/NAME` in the background, its stderr dropped; the
    /// caller reaps or kills it.
    init(starting name: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: PythonClient.python)
        process.arguments = [PythonClient.path(name)] + arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// Everything it printed; waits for it to close its output.
    func readOutput() -> String {
        String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    /// SIGKILL: children of the test runner inherit its blocked SIGTERM.
    func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }
}
