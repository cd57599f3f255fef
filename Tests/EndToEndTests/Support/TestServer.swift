import Foundation
import Testing

/// A real batchd on a random loopback port with a throwaway state folder,
/// plus the users and keys a test asks for. `stop()` kills it and removes
/// everything; every test calls it (via `defer`).
final class TestServer: @unchecked Sendable {
    let directory: URL
    let bin: URL
    private(set) var port = 0
    private var process: Process?
    private var log: DataCollector?

    /// batchd's process id while it runs, 0 otherwise.
    var processIdentifier: Int32 { process?.isRunning == true ? process!.processIdentifier : 0 }

    /// batchd's resident memory now, in bytes, from /proc.
    func residentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(processIdentifier)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else {
            return nil
        }
        return kilobytes * 1024
    }

    var stateDirectory: String { directory.appendingPathComponent("state").path }
    var isRunning: Bool { process?.isRunning ?? false }
    var logText: String { String(decoding: log?.snapshot() ?? Data(), as: UTF8.self) }

    /// Extra environment for batchd (test fault injection).
    var environment: [String: String] = [:]
    /// Host key file; tests that change the host key point it elsewhere.
    var hostKeyPath: String

    /// Whether PerSourcePenalties is on: off by default, since tests make
    /// refused connections from loopback on purpose, one after another.
    let penalties: Bool

    init(extraConfig: String = "", penalties: Bool = false) throws {
        self.penalties = penalties
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("batchd-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        bin = TestServer.binDirectory()
        hostKeyPath = directory.appendingPathComponent("ssh_host_ed25519_key").path
        self.extraConfig = extraConfig
        // The RSA host key beside it is one made once for the whole run:
        // creating 3072-bit keys for every server would cost the suite a
        // second each.
        if let rsa = TestServer.sharedRSAHostKey {
            for suffix in ["", ".pub"] {
                try FileManager.default.copyItem(atPath: rsa + suffix,
                                                 toPath: directory.appendingPathComponent("ssh_host_rsa_key" + suffix).path)
            }
        }
    }

    /// An RSA host key for every test server, made on first use.
    private static let sharedRSAHostKey: String? = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("batchd-e2e-rsa-host-key")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("ssh_host_rsa_key").path
        if FileManager.default.fileExists(atPath: path) { return path }
        let made = try? ProcessRunner.run(["/usr/bin/ssh-keygen", "-q", "-t", "rsa", "-b", "3072", "-N", "", "-C", "batchd-host-key",
                                           "-f", path])
        return made?.succeeded == true ? path : nil
    }()

    /// The quiet time before a batch seals by itself: short, so that the
    /// suite does not wait the default 2 s after every drop; nil leaves the
    /// default (tests of the default itself). Later lines win.
    var quietTime: String? = "200ms"
    // BatchResumeTime is 1 s for the same reason: tests that cut uploads
    // off would otherwise wait a minute for each to be resumed. Tests of
    // resuming set it longer (later lines win).
    /// Lines added to the config file at each start.
    var extraConfig: String
    /// The port the config file names (0: any free one).
    private var configuredPort = 0

    private func writeConfig(port: Int) throws {
        let config = """
            ListenAddress 127.0.0.1:\(port)
            StateDirectory \(stateDirectory)
            HostKey \(hostKeyPath)
            LoginGraceTime 10
            PerSourcePenalties \(penalties ? "yes" : "no")
            \(quietTime.map { "BatchQuietTime \($0)" } ?? "")
            BatchResumeTime 1
            \(extraConfig)
            """
        try config.write(to: directory.appendingPathComponent("batchd.conf"), atomically: true, encoding: .utf8)
    }

    /// Where `swift build` put the executables: beside the test bundle.
    static func binDirectory() -> URL {
        if let override = ProcessInfo.processInfo.environment["BATCHD_BIN_DIR"] {
            return URL(fileURLWithPath: override)
        }
        var candidate = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            if FileManager.default.isExecutableFile(atPath: candidate.appendingPathComponent("batchd").path) {
                return candidate
            }
            candidate = candidate.deletingLastPathComponent()
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug")
    }

    /// Starts batchd and waits for its "listening" line; `port` 0 picks a
    /// free one, a restart passes the previous port.
    func start(port: Int = 0) throws {
        configuredPort = port
        try writeConfig(port: port)
        let process = Process()
        process.executableURL = bin.appendingPathComponent("batchd")
        process.arguments = ["--config", directory.appendingPathComponent("batchd.conf").path]
        process.currentDirectoryURL = directory
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let log = DataCollector(err.fileHandleForReading)
        try process.run()
        self.process = process
        self.log = log
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let port = TestServer.listeningPort(in: String(decoding: log.snapshot(), as: UTF8.self)) {
                self.port = port
                return
            }
            if !process.isRunning { break }
            usleep(20_000)
        }
        throw TestFailure("batchd did not start:\n\(logText)")
    }

    static func listeningPort(in log: String) -> Int? {
        for line in log.split(separator: "\n") where line.contains("listening") && !line.contains("metrics") {
            if let range = line.range(of: #"address(=|":")127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                return Int(line[range].split(separator: ":").last ?? "")
            }
        }
        return nil
    }

    /// Sends SIGTERM and waits for a clean exit (SIGKILL after 30 s).
    @discardableResult
    func terminate() -> Int32 {
        guard let process, process.isRunning else { return process?.terminationStatus ?? 0 }
        process.terminate()
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Rewrites the config file with other extra lines and sends SIGHUP.
    func reload(extraConfig: String) throws {
        self.extraConfig = extraConfig
        try writeConfig(port: configuredPort)
        guard let process, process.isRunning else { throw TestFailure("batchd is not running") }
        kill(process.processIdentifier, SIGHUP)
    }

    /// Waits until the log contains `text` `count` times.
    func waitForLog(_ text: String, count: Int = 1, timeout: Double = 10) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while logText.components(separatedBy: text).count - 1 < count {
            if Date() > deadline { throw TestFailure("'\(text)' not logged \(count) time(s):\n\(logText)") }
            usleep(20_000)
        }
    }

    /// Kills batchd with SIGKILL, as a crash would, and reaps it.
    func kill9() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Waits for batchd to die by itself (a test crash point); true if it did.
    func waitForDeath(timeout: Double = 60) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning && Date() < deadline { usleep(20_000) }
        return !isRunning
    }

    /// `PRAGMA integrity_check` of the catalogue, as SQLite reports it.
    func integrityCheck() throws -> String {
        let script = "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0])"
        let result = try ProcessRunner.run(["python3", "-c", script, stateDirectory + "/catalogue.db"])
        try result.expectSuccess("integrity_check")
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func stop() {
        terminate()
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: - Users and keys

    /// Creates a key pair named `name` in the test folder; returns the private key path.
    @discardableResult
    func makeKey(_ name: String, type: String = "ed25519", bits: Int? = nil) throws -> String {
        let path = directory.appendingPathComponent(name).path
        var argv = ["ssh-keygen", "-q", "-t", type, "-N", "", "-C", name, "-f", path]
        if let bits { argv += ["-b", String(bits)] }
        let result = try ProcessRunner.run(argv)
        guard result.succeeded else { throw TestFailure("ssh-keygen failed: \(result.stderr)") }
        return path
    }

    /// Adds a user with a fresh key; returns the private key path.
    @discardableResult
    func addUser(_ name: String, role: String) throws -> String {
        let key = try makeKey(name)
        try batchctl(["user", "add", name, "--role", role, "--key", key + ".pub"]).expectSuccess()
        return key
    }

    /// The private key `makeKey(name)` wrote.
    func keyPath(_ name: String) -> String {
        directory.appendingPathComponent(name).path
    }

    /// A started server with source alice, target bob and topic ops (bob
    /// subscribed; his key is `keyPath("bob")`); returns alice's key.
    static func withAliceBobAndOps(extraConfig: String = "", penalties: Bool = false,
                                   environment: [String: String] = [:]) throws -> (TestServer, alice: String) {
        let server = try TestServer(extraConfig: extraConfig, penalties: penalties)
        server.environment = environment
        let alice = try server.addUser("alice", role: "source")
        try server.addUser("bob", role: "target")
        try server.batchctl(["topic", "add", "ops"]).expectSuccess()
        try server.batchctl(["topic", "subscribe", "ops", "bob"]).expectSuccess()
        try server.start()
        return (server, alice)
    }

    /// Runs a local batchctl on the state folder. A change to users, keys or topics
    /// while batchd runs reaches its logins within a quarter second (it
    /// keeps them in memory); this waits that long after one, so the next
    /// step of a test sees it. `settle: false` for tests that time it.
    func batchctl(_ arguments: [String], timeout: Double = 30, settle: Bool = true) throws -> ProcessResult {
        let result = try ProcessRunner.run([bin.appendingPathComponent("batchctl").path, "--state", stateDirectory] + arguments,
                                           timeout: timeout)
        if settle, isRunning, ["user", "key", "topic"].contains(arguments.first ?? ""), arguments.dropFirst().first != "list" {
            usleep(400_000)
        }
        return result
    }

    // MARK: - Clients

    var sshOptions: [String] {
        ["-F", "/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=no",
         "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10"]
    }

    func scp(_ arguments: [String], key: String, legacy: Bool = false, timeout: Double = 120) throws -> ProcessResult {
        try ProcessRunner.run(["scp"] + sshOptions + (legacy ? ["-O"] : []) + ["-P", String(port), "-i", key] + arguments,
                              timeout: timeout)
    }

    /// Starts `scp` in the background, output discarded, for a test that
    /// kills it mid-upload; the caller reaps it.
    func startScp(_ arguments: [String], key: String) throws -> Process {
        try startClient("/usr/bin/scp", sshOptions + ["-P", String(port), "-i", key] + arguments)
    }

    /// Starts `sftp -b BATCH_FILE` as `user` in the background, as `startScp`.
    func startSftp(_ user: String, key: String, batchFile: String) throws -> Process {
        try startClient("/usr/bin/sftp", sshOptions + ["-P", String(port), "-i", key, "-b", batchFile, "\(user)@127.0.0.1"])
    }

    private func startClient(_ executable: String, _ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    func ssh(_ user: String, key: String, _ command: [String], timeout: Double = 60) throws -> ProcessResult {
        try ProcessRunner.run(["ssh"] + sshOptions + ["-p", String(port), "-i", key, "\(user)@127.0.0.1"] + command,
                              timeout: timeout)
    }

    func sftp(_ user: String, key: String, batch: String, timeout: Double = 120) throws -> ProcessResult {
        let batchFile = directory.appendingPathComponent("sftp-\(UUID().uuidString).batch")
        try batch.write(to: batchFile, atomically: true, encoding: .utf8)
        return try ProcessRunner.run(["sftp"] + sshOptions + ["-P", String(port), "-i", key, "-b", batchFile.path, "\(user)@127.0.0.1"],
                                     timeout: timeout)
    }

    // MARK: - Catalogue

    /// The JSON of `batchctl batch show ID --json`.
    func batch(_ id: Int) throws -> [String: Any] {
        let result = try batchctl(["batch", "show", String(id), "--json"])
        try result.expectSuccess()
        guard let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            throw TestFailure("batch show did not print an object: \(result.stdout)")
        }
        return object
    }

    /// The paths of the files of `batch` (as `batch(_:)` returns it), in archive order.
    static func filePaths(of batch: [String: Any]) -> [String] {
        ((batch["files"] as? [[String: Any]]) ?? []).compactMap { $0["path"] as? String }
    }

    /// All batches, from `batchctl batch list --json`.
    func batches() throws -> [[String: Any]] {
        let result = try batchctl(["batch", "list", "--json"])
        try result.expectSuccess()
        guard let list = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]] else {
            throw TestFailure("batch list did not print an array: \(result.stdout)")
        }
        return list
    }

    /// Waits until `count` batches exist and none is still open.
    @discardableResult
    func waitForSettledBatches(_ count: Int, timeout: Double = 60) throws -> [[String: Any]] {
        let deadline = Date().addingTimeInterval(timeout)
        var last: [[String: Any]] = []
        while Date() < deadline {
            last = try batches()
            if last.count >= count, last.allSatisfy({ ($0["state"] as? String) != "open" }) { return last }
            usleep(50_000)
        }
        throw TestFailure("expected \(count) settled batches, have: \(last)\nlog:\n\(logText)")
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension ProcessResult {
    func expectSuccess(_ what: String = "command") throws {
        guard succeeded else { throw TestFailure("\(what) exited \(status)\nstdout: \(stdout)\nstderr: \(stderr)") }
    }
}
