import Foundation

/// A real `batchd-recv` process subscribed to a `TestServer`.
final class TestReceiver: @unchecked Sendable {
    let user: String
    let inbox: URL
    private let process = Process()
    private let log: DataCollector

    var logText: String { String(decoding: log.snapshot(), as: UTF8.self) }
    var isRunning: Bool { process.isRunning }
    var pid: Int32 { process.processIdentifier }

    /// Starts batchd-recv for `user` (whose key is `key`) against `server`.
    init(server: TestServer, user: String, key: String, accept: String = "auto", extract: Bool = false,
         once: Bool = false, knownHosts: String? = nil, acceptNewHostKey: Bool = true, inbox: URL? = nil,
         listen: String? = nil, environment: [String: String] = [:]) throws {
        self.user = user
        self.inbox = inbox ?? server.directory.appendingPathComponent("inbox-\(user)")
        var arguments = ["--server", "127.0.0.1:\(server.port)", "--user", user, "--identity", key,
                         "--inbox", self.inbox.path, "--accept", accept]
        if let knownHosts { arguments += ["--known-hosts", knownHosts] }
        if acceptNewHostKey { arguments.append("--accept-new-host-key") }
        if extract { arguments.append("--extract") }
        if once { arguments.append("--once") }
        if let listen { arguments += ["--listen", listen] }
        process.executableURL = server.bin.appendingPathComponent("batchd-recv")
        process.arguments = arguments
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        log = DataCollector(err.fileHandleForReading)
        try process.run()
    }

    /// Waits for the process to exit by itself; returns its status.
    func waitForExit(timeout: Double = 60) throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                stop()
                throw TestFailure("batchd-recv for \(user) did not exit within \(timeout) s\n\(logText)")
            }
            usleep(20_000)
        }
        return process.terminationStatus
    }

    /// Waits until `name` appears in the inbox.
    func waitForFile(_ name: String, timeout: Double = 60) throws -> URL {
        let url = inbox.appendingPathComponent(name)
        let deadline = Date().addingTimeInterval(timeout)
        while !FileManager.default.fileExists(atPath: url.path) {
            if Date() > deadline { throw TestFailure("\(name) never reached \(user)'s inbox\n\(logText)") }
            if !process.isRunning { throw TestFailure("batchd-recv for \(user) exited\n\(logText)") }
            usleep(20_000)
        }
        return url
    }

    /// The port its peer listener bound, from its log.
    func listenPort(timeout: Double = 10) throws -> Int {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            for line in logText.split(separator: "\n") where line.contains("serving pieces to peers") {
                if let range = line.range(of: #"address=[0-9.]+:(\d+)"#, options: .regularExpression),
                   let port = Int(line[range].split(separator: ":").last ?? "") {
                    return port
                }
            }
            usleep(20_000)
        }
        throw TestFailure("batchd-recv for \(user) did not report its peer listener\n\(logText)")
    }

    func kill9() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
    }
}
