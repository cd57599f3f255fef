import Foundation
import Testing

/// `batchd -t` names every error with its file, line and keyword; `-T`
/// prints the effective settings.
@Suite struct ConfigCheckTests {
    private func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("batchd-\(UUID().uuidString).conf").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private var batchd: String { TestServer.binDirectory().appendingPathComponent("batchd").path }

    @Test func checkReportsEveryBadLineAndFails() throws {
        let path = try write("ListenAddress 127.0.0.1:2300\nListn foo\nPieceSize 3\nMaxAuthTries many\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try ProcessRunner.run([batchd, "-t", "--config", path])
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0].contains("\(path) line 2: unknown keyword 'Listn'"))
        #expect(lines[1].contains("line 3") && lines[1].contains("PieceSize"))
        #expect(lines[2].contains("line 4") && lines[2].contains("MaxAuthTries"))
    }

    @Test func goodConfigChecksCleanAndPrintsEffectiveSettings() throws {
        let path = try write("# comment\nListenAddress 127.0.0.1:2300\nStrategy latency\nPieceSize 1M\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let check = try ProcessRunner.run([batchd, "-t", "--config", path])
        #expect(check.status == 0)
        #expect(check.stderr.isEmpty)
        let effective = try ProcessRunner.run([batchd, "-T", "--config", path])
        #expect(effective.status == 0)
        #expect(effective.stdout.contains("listenaddress 127.0.0.1:2300\n"))
        #expect(effective.stdout.contains("strategy latency\n"))
        #expect(effective.stdout.contains("piecesize 1048576\n"))
        #expect(effective.stdout.contains("maxauthtries 6\n"))
    }
}
