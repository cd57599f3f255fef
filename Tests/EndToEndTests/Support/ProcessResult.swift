import Foundation

/// What a finished child process left behind.
struct ProcessResult: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String
    /// Standard output as bytes, for binary protocols.
    var stdoutData = Data()
    var succeeded: Bool { status == 0 }
}

enum ProcessRunnerError: Error, CustomStringConvertible {
    case timedOut([String], Double)

    var description: String {
        switch self {
        case .timedOut(let argv, let seconds): return "\(argv.joined(separator: " ")) did not finish within \(seconds) s"
        }
    }
}

/// Runs a program to completion with a time bound; a process that
/// overruns is killed, so no test can hang.
enum ProcessRunner {
    static func run(_ argv: [String], stdin: Data? = nil, environment: [String: String]? = nil,
                    timeout: Double = 60) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0].hasPrefix("/") ? argv[0] : "/usr/bin/env")
        process.arguments = argv[0].hasPrefix("/") ? Array(argv.dropFirst()) : argv
        if let environment { process.environment = environment }
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        let outData = DataCollector(out.fileHandleForReading)
        let errData = DataCollector(err.fileHandleForReading)
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                process.terminate()
                usleep(200_000)
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                process.waitUntilExit()
                throw ProcessRunnerError.timedOut(argv, timeout)
            }
            usleep(10_000)
        }
        process.waitUntilExit()
        let output = outData.finish()
        return ProcessResult(status: process.terminationStatus,
                             stdout: String(decoding: output, as: UTF8.self),
                             stderr: String(decoding: errData.finish(), as: UTF8.self),
                             stdoutData: output)
    }
}

/// Drains a pipe on a background thread so a chatty child never blocks.
final class DataCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                lock.lock(); data.append(chunk); lock.unlock()
            }
            done.signal()
        }
    }

    func finish() -> Data {
        done.wait()
        lock.lock(); defer { lock.unlock() }
        return data
    }

    func snapshot() -> Data {
        lock.lock(); defer { lock.unlock() }
        return data
    }
}
