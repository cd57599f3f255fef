import Foundation
import Testing

/// A lab of test hosts h0…hN-1, each in its own network namespace with its
/// link capped, made by the shared `netlab` script: h0 for the server, the
/// others for targets, so transfers run at a known rate instead of loopback
/// speed. Each lab has a prefix of its own, so labs never collide;
/// `down()` removes its namespaces and every process left in them. Needs
/// root.
final class Netlab: Sendable {
    let script: String
    let prefix: String
    let hosts: Int

    /// Makes `hosts` hosts with every link capped at `rate` (tc syntax, like
    /// "50mbit"). The script is `$NETLAB`, or `shared/lab/netlab` beside the
    /// package's folder.
    init(hosts: Int, rate: String) throws {
        let script = try Netlab.locate()
        guard geteuid() == 0 else {
            throw TestFailure("this test needs root: netlab makes network namespaces and tc caps; run swift test as root")
        }
        self.script = script
        prefix = "e2e\(getpid())x\(UInt16.random(in: 0 ... .max))"
        self.hosts = hosts
        let result = try ProcessRunner.run([script, "up", String(hosts), rate], environment: environment, timeout: 60)
        guard result.succeeded else {
            down()
            throw TestFailure("netlab up \(hosts) \(rate) exited \(result.status): \(result.stderr)")
        }
    }

    private static func locate() throws -> String {
        let fromEnvironment = ProcessInfo.processInfo.environment["NETLAB"]
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let beside = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/lab/netlab").path
        let path = fromEnvironment ?? beside
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestFailure("netlab is not at \(path); set NETLAB to the netlab script")
        }
        return path
    }

    private var environment: [String: String] {
        ProcessInfo.processInfo.environment.merging(["NETLAB_PREFIX": prefix]) { $1 }
    }

    /// The address of host `host`, as netlab assigns it (RFC 2544 range).
    func address(_ host: Int) -> String { "198.18.0.\(host + 1)" }

    /// `argv` wrapped to run inside host `host`'s namespace.
    func command(_ host: Int, _ argv: [String]) -> [String] {
        ["ip", "netns", "exec", "\(prefix)-h\(host)"] + argv
    }

    /// Runs `argv` to completion inside host `host`.
    func run(_ host: Int, _ argv: [String], timeout: Double = 60) throws -> ProcessResult {
        try ProcessRunner.run(command(host, argv), timeout: timeout)
    }

    /// Bytes host `host` has sent on its link so far.
    func transmittedBytes(_ host: Int) throws -> Int {
        let result = try run(host, ["cat", "/sys/class/net/eth0/statistics/tx_bytes"])
        try result.expectSuccess("reading h\(host)'s tx_bytes")
        guard let bytes = Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw TestFailure("h\(host)'s tx_bytes is not a number: \(result.stdout)")
        }
        return bytes
    }

    /// Starts a long-running program inside host `host`.
    func start(_ host: Int, _ argv: [String], directory: URL? = nil) throws -> Daemon {
        try Daemon(command(host, argv), directory: directory)
    }

    /// Removes the lab's namespaces, killing whatever still runs in them;
    /// a lab that cannot be removed fails the test, since it would linger.
    func down() {
        do {
            let result = try ProcessRunner.run([script, "down"], environment: environment, timeout: 60)
            if !result.succeeded { Issue.record("netlab down (\(prefix)) exited \(result.status): \(result.stderr)") }
        } catch {
            Issue.record("netlab down (\(prefix)) failed: \(error)")
        }
    }

    /// A program started in a lab host, its standard error collected.
    /// `ip netns exec` runs the program in its own place, so signals reach
    /// the program itself.
    final class Daemon: @unchecked Sendable {
        private let process = Process()
        private let log: DataCollector

        var logText: String { String(decoding: log.snapshot(), as: UTF8.self) }
        var isRunning: Bool { process.isRunning }

        fileprivate init(_ argv: [String], directory: URL?) throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = argv
            if let directory { process.currentDirectoryURL = directory }
            let err = Pipe()
            process.standardError = err
            process.standardOutput = FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            log = DataCollector(err.fileHandleForReading)
            try process.run()
        }

        /// Waits until every one of `needles` is in the log.
        func waitForLog(_ needles: [String], timeout: Double, what: String) throws {
            let deadline = Date().addingTimeInterval(timeout)
            while !needles.allSatisfy({ logText.contains($0) }) {
                if !process.isRunning { throw TestFailure("\(what) exited with status \(process.terminationStatus)\n\(logText)") }
                if Date() > deadline { throw TestFailure("\(what) did not log \(needles) within \(timeout) s\n\(logText)") }
                usleep(20_000)
            }
        }

        /// SIGTERM, then SIGKILL after 10 seconds; waits for the exit.
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
}
