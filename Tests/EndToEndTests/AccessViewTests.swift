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

    @Test func loginsGoOnWhileAnotherProcessHoldsTheCatalogueWriteLock() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps()
        defer { server.stop() }
        let database = server.stateDirectory + "/catalogue.db"
        let holder = try PythonClient(starting: "write_lock_holder.py", [database, "4"])
        defer { holder.kill() }
        let locked = holder.output.fileHandleForReading.availableData
        #expect(String(decoding: locked, as: UTF8.self).contains("locked"))
        var slowest = 0.0
        for _ in 0..<10 {
            let start = Date()
            try server.ssh("alice", key: alice, ["batches"], timeout: 10).expectSuccess("ssh batches under the write lock")
            slowest = max(slowest, Date().timeIntervalSince(start))
        }
        #expect(holder.process.isRunning, "the lock was released before the logins ended")
        #expect(slowest < 1, "the slowest login under the write lock took \(slowest) s")
    }
}
