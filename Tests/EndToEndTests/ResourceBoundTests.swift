import Foundation
import Testing

/// A logged-in user cannot grow batchd without bound: a client that sends
/// requests and never reads the replies stops being read once a channel's
/// output is full, so batchd's memory levels off; sessions, channels, open
/// files and open batches stop at their limits with the reason. A session
/// whose key is revoked, or whose user is removed, stops uploading at its
/// next request and its batch is never sealed.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct ResourceBoundTests {
    @Test func requestsWhoseRepliesAreNeverReadLeaveMemoryBounded() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps()
        defer { server.stop() }
        let before = try #require(server.residentBytes())
        let flood = try PythonClient(starting: "unread_flood.py", ["127.0.0.1", String(server.port), "alice", alice, "20", "4"])
        defer { flood.kill() }
        var peak = before
        while flood.process.isRunning {
            peak = max(peak, server.residentBytes() ?? 0)
            usleep(250_000)
        }
        let sent = flood.readOutput()
        #expect(flood.process.terminationStatus == 0)
        // Four channels with about 1 MiB of replies queued each, plus
        // libssh's input buffers: a bounded cost, far from unbounded growth
        // (about 9 MB a second before backpressure).
        let growth = peak - before
        #expect(growth < 64 << 20, "RSS grew by \(growth >> 20) MiB (from \(before >> 20) MiB); requests sent: \(sent)")
        #expect(server.isRunning)
        #expect(try server.ssh("alice", key: alice, ["batches"]).succeeded)
    }

    /// Runs resource_holder.py as `user`; returns its report, taken while
    /// it still holds everything for `hold` seconds more.
    private static func hold(_ server: TestServer, user: String, key: String, connections: Int, channels: Int, files: Int,
                             hold: Int = 0, spread: Bool = false) throws -> [String: Any] {
        let result = try PythonClient.run("resource_holder.py", ["127.0.0.1", String(server.port), user, key, String(connections),
                                                                 String(channels), String(files), String(hold)]
                                              + (spread ? ["spread"] : []))
        let line = result.stdout.split(separator: "\n").first.map(String.init) ?? ""
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(result.stderr)")
    }

    @Test func channelsPerConnectionStopAtMaxChannelsPerSession() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps(extraConfig: "MaxChannelsPerSession 3")
        defer { server.stop() }
        let report = try Self.hold(server, user: "alice", key: alice, connections: 2, channels: 5, files: 0)
        #expect(report["channels"] as? Int == 6, "\(report)")
        #expect((report["channel_error"] as? String)?.contains("prohibited") == true, "\(report)")
        #expect(server.logText.contains("MaxChannelsPerSession 3"))
    }

    @Test func openFilesAcrossConnectionsStopAtMaxOpenFilesPerUserAndOthersGoOn() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps(extraConfig: "MaxOpenFilesPerUser 10")
        defer { server.stop() }
        let report = try Self.hold(server, user: "alice", key: alice, connections: 2, channels: 2, files: 4)
        #expect(report["files"] as? Int == 10, "\(report)")
        #expect((report["file_error"] as? String)?.contains("MaxOpenFilesPerUser") == true, "\(report)")
        // Those connections are gone, and with them their files: the
        // slots are free again, and another user was never held up.
        let carol = try server.addUser("carol", role: "source")
        #expect(try server.ssh("carol", key: carol, ["batches"]).succeeded)
        let again = try Self.hold(server, user: "alice", key: alice, connections: 1, channels: 1, files: 10)
        #expect(again["files"] as? Int == 10, "\(again)")
    }

    @Test func openBatchesStopAtMaxOpenBatchesPerUser() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps(extraConfig: "MaxOpenBatchesPerUser 4")
        defer { server.stop() }
        for n in 0..<6 {
            try server.batchctl(["topic", "add", "t\(n)"]).expectSuccess()
            try server.batchctl(["topic", "subscribe", "t\(n)", "bob"]).expectSuccess()
        }
        // Each SFTP channel writes to a topic of its own (t0 … t5): six batches asked for.
        let report = try Self.hold(server, user: "alice", key: alice, connections: 2, channels: 3, files: 1, spread: true)
        #expect(report["files"] as? Int == 4, "\(report)")
        #expect((report["file_error"] as? String)?.contains("MaxOpenBatchesPerUser") == true, "\(report)")
    }

    @Test func connectionsPerUserStopAtMaxSessionsPerUserWithTheReason() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps(extraConfig: "MaxSessionsPerUser 2")
        defer { server.stop() }
        // Two `ssh -N` logins left running, started through a shell so
        // they are not this process's children (Foundation's Process waits
        // on a running child in a way that stalls every later one).
        let login = (["ssh"] + server.sshOptions + ["-N", "-p", String(server.port), "-i", alice, "alice@127.0.0.1"])
            .map { "'\($0)'" }.joined(separator: " ")
        let started = try ProcessRunner.run(["/bin/sh", "-c", "for i in 1 2; do \(login) </dev/null >/dev/null 2>&1 & echo $!; done"])
        let holders = started.stdout.split(separator: "\n").compactMap { Int32($0) }
        #expect(holders.count == 2, "\(started.stderr)")
        defer { for holder in holders { kill(holder, SIGKILL) } }
        let deadline = Date().addingTimeInterval(10)
        while server.logText.components(separatedBy: "] authenticated").count < 3, Date() < deadline { usleep(50_000) }
        let third = try server.ssh("alice", key: alice, ["batches"])
        #expect(third.status != 0)
        #expect(third.stderr.contains("MaxSessionsPerUser 2"), "\(third.stderr)")
        kill(holders[0], SIGKILL)
        let later = try Self.retrying { try server.ssh("alice", key: alice, ["batches"]) }
        #expect(later.succeeded, "\(later.stderr)")
    }

    private static func retrying(_ attempt: () throws -> ProcessResult) throws -> ProcessResult {
        var result = try attempt()
        let deadline = Date().addingTimeInterval(10)
        while !result.succeeded, Date() < deadline {
            usleep(200_000)
            result = try attempt()
        }
        return result
    }

    @Test(arguments: ["key revoke", "user remove"])
    func anOpenUploadStopsWhenItsKeyIsRevokedAndIsNotSealed(how: String) throws {
        let (server, alice) = try TestServer.withAliceBobAndOps()
        defer { server.stop() }
        let uploader = try PythonClient(starting: "slow_uploader.py", ["127.0.0.1", String(server.port), "alice", alice, "8", "1"])
        defer { uploader.kill() }
        try server.waitForLog("batch opened")
        if how == "key revoke" {
            let listed = try server.batchctl(["key", "list", "alice", "--json"])
            let fingerprint = try #require(
                (try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])?.first?["fingerprint"] as? String)
            try server.batchctl(["key", "revoke", fingerprint]).expectSuccess("key revoke")
        } else {
            try server.batchctl(["user", "remove", "alice"]).expectSuccess("user remove")
        }
        let text = uploader.readOutput()
        let lines = text.split(separator: "\n")
        // The sweep runs every 2 s: at most three more files got in, and
        // everything after was refused with the reason.
        let accepted = lines.filter { $0.hasPrefix("ok ") }.count
        #expect(accepted >= 1 && accepted <= 4, "\(text)")
        let firstRefusal = try #require(lines.firstIndex { $0.hasPrefix("refused ") }, "\(text)")
        #expect(lines[firstRefusal].contains("revoked"), "\(text)")
        #expect(!lines[firstRefusal...].contains { $0.hasPrefix("ok ") }, "\(text)")
        let id = try #require(try server.waitForSettledBatches(1).first?["id"] as? Int)
        let batch = try server.batch(id)
        #expect(batch["state"] as? String == "failed", "\(batch)")
        #expect((batch["failure"] as? String)?.contains("revoked") == true, "\(batch)")
        #expect(!server.logText.contains("batch sealed"))
    }
}
