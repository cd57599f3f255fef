import Foundation
import Testing

/// Logins and requests are checked against users and keys held in memory,
/// kept fresh from the catalogue: what `batchctl` changes counts within a
/// second, and a login needs no catalogue read, so a held write lock does
/// not hold it up.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct AccessViewTests {
    /// Runs `ssh … batches` until it gives `succeeded`, for at most `within`
    /// seconds; returns the seconds it took.
    private func secondsUntil(_ server: TestServer, _ user: String, key: String, succeeded: Bool, within: Double) throws -> Double {
        let start = Date()
        while Date().timeIntervalSince(start) < within {
            if try server.ssh(user, key: key, ["batches"], timeout: 10).succeeded == succeeded { return Date().timeIntervalSince(start) }
            usleep(50_000)
        }
        throw TestFailure("\(user) did not \(succeeded ? "get in" : "get refused") within \(within) s\n\(server.logText)")
    }

    @Test func batchctlChangesCountWithinASecondAndRevocationAtTheNextRequest() throws {
        let (server, _) = try TestServer.withAliceBobAndOps()
        defer { server.stop() }
        let carol = try server.makeKey("carol")
        try server.batchctl(["user", "add", "carol", "--role", "source", "--key", carol + ".pub"], settle: false).expectSuccess()
        #expect(try secondsUntil(server, "carol", key: carol, succeeded: true, within: 1.5) < 1.5)

        let listed = try server.batchctl(["key", "list", "carol", "--json"])
        let fingerprint = try #require(
            (try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])?.first?["fingerprint"] as? String)
        try server.batchctl(["key", "revoke", fingerprint], settle: false).expectSuccess("key revoke")
        #expect(try secondsUntil(server, "carol", key: carol, succeeded: false, within: 1.5) < 1.5)

        try server.batchctl(["user", "remove", "carol"], settle: false).expectSuccess()
        let dave = try server.makeKey("dave")
        try server.batchctl(["user", "add", "dave", "--role", "source", "--key", dave + ".pub"], settle: false).expectSuccess()
        #expect(try secondsUntil(server, "dave", key: dave, succeeded: true, within: 1.5) < 1.5)
    }

    /// A `batchctl` holding the catalogue's write lock for 3 s (another
    /// process's transaction, as a slow one would) while a drop opens its
    /// batch and 20 logins run: the drop's catalogue writes wait off the
    /// loops, so no login waits for them.
    @Test func loginsGoOnWhileADropWaitsForTheCatalogueWriteLock() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps()
        defer { server.stop() }
        let database = server.stateDirectory + "/catalogue.db"
        let folder = server.directory.appendingPathComponent("drop")
        try Tree.make(at: folder, ["a.txt": Data("under the lock\n".utf8)])
        // The same logins without the lock: on a machine busy with other
        // tests, a login may take longer than 100 ms for want of a core,
        // and the bound is then twice the slowest of these.
        let unlocked = try PythonClient.run("timed_logins.py", ["127.0.0.1", String(server.port), "alice", alice, "20", "0.05"])
        try unlocked.expectSuccess("20 logins without the lock")
        let baseline = unlocked.stdout.split(separator: "\n").compactMap { Double($0) }
        let bound = max(100, 2 * (baseline.max() ?? 0))

        let holder = try PythonClient(starting: "write_lock_holder.py", [database, "3"])
        defer { holder.kill() }
        let locked = holder.output.fileHandleForReading.availableData
        #expect(String(decoding: locked, as: UTF8.self).contains("locked"))
        let lockedAt = Date()
        let drop = Process()
        drop.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        drop.arguments = ["-s", "KILL", "60", "scp"] + server.sshOptions
            + ["-P", String(server.port), "-i", alice, folder.appendingPathComponent("a.txt").path, "alice@127.0.0.1:ops/"]
        drop.standardOutput = FileHandle.nullDevice
        drop.standardError = FileHandle.nullDevice
        try drop.run()
        let logins = try PythonClient.run("timed_logins.py", ["127.0.0.1", String(server.port), "alice", alice, "20", "0.05"])
        try logins.expectSuccess("20 logins under the write lock")
        let loginsEnded = Date().timeIntervalSince(lockedAt)
        let latencies = logins.stdout.split(separator: "\n").compactMap { Double($0) }
        print("login latencies (ms, sorted) without the lock: \(baseline.sorted()); under it: \(latencies.sorted())")
        #expect(latencies.count == 20, "\(logins.stdout)")
        #expect(latencies.allSatisfy { $0 < bound }, "login latencies (ms) under the write lock: \(latencies), bound \(bound)")
        #expect(loginsEnded < 3, "the logins ended \(loginsEnded) s into a 3 s lock: it was not held throughout")
        drop.waitUntilExit()
        #expect(drop.terminationStatus == 0, "the drop failed once the lock was released")
        let batch = try #require(try server.waitForSettledBatches(1).first)
        #expect(batch["state"] as? String == "sealed", "\(batch)")
        #expect(Date().timeIntervalSince(lockedAt) >= 3, "the drop sealed before the lock was released")
    }
}
