import Foundation
import Testing

/// Limits on logging in and staying connected, each from its batchd.conf
/// keyword: an address that keeps failing to log in is shut out for a
/// while, one address cannot hold every unauthenticated slot, and when all
/// addresses together reach MaxStartups the oldest makes room; a connection ends after
/// MaxAuthTries failures, after LoginGraceTime without logging in, and
/// after IdleTimeout without traffic. An unknown user looks like a known
/// user with an unknown key, in what the client is told and in how long
/// it takes.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct SourceLimitTests {
    @Test func repeatedAuthFailuresShutTheSourceOutThenItServesAgain() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps(
            extraConfig: "PerSourcePenalties authfail:3 noauth:0 min:3 max:10", penalties: true)
        defer { server.stop() }
        let stranger = try server.makeKey("stranger")
        // Each failure adds 3 s: one leaves no more than min (3 s), two
        // leave up to 6 s, more than min even when the failing logins are
        // slow (a sanitized build).
        for _ in 0..<2 {
            let failed = try server.ssh("alice", key: stranger, ["batches"])
            #expect(failed.status == 255 && failed.stderr.contains("Permission denied"))
        }
        let shutOut = try server.ssh("alice", key: alice, ["batches"])
        #expect(shutOut.status == 255)
        #expect(!shutOut.stderr.contains("Permission denied"))
        #expect(server.logText.contains("PerSourcePenalties"))

        // Once no more than min remains, the right key works again.
        let later = try Self.retryingForTenSeconds { try server.ssh("alice", key: alice, ["batches"]) }
        #expect(later.succeeded, "\(later.stderr)\n\(server.logText)")
    }

    @Test func oneSourceCannotHoldMoreUnauthenticatedSlotsThanAllowed() throws {
        try expectTwoSilentConnectionsShutOthersOut(config: "PerSourceMaxStartups 2", logged: "PerSourceMaxStartups 2")
    }

    @Test func atMaxStartupsTheOldestSilentConnectionMakesRoomForALogin() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps(extraConfig: "MaxStartups 2\nPerSourceMaxStartups none")
        defer { server.stop() }
        let idle = try (0..<2).map { _ in try RawTCP.connect(port: server.port) }
        defer { for fd in idle { close(fd) } }
        usleep(300_000)
        let login = try server.ssh("alice", key: alice, ["batches"])
        #expect(login.succeeded, "\(login.stderr)\n\(server.logText)")
        #expect(server.logText.contains("closed to make room for a newer connection (MaxStartups 2)"))
        // The first silent connection was the oldest: it is the one closed.
        #expect(RawTCP.secondsUntilClosed(idle[0], timeout: 5) != nil)
    }

    /// Two connections that never speak hold both unauthenticated slots
    /// `config` allows: a login is refused, with `logged` in the server's
    /// log, until they close.
    private func expectTwoSilentConnectionsShutOthersOut(config: String, logged: String) throws {
        let (server, alice) = try TestServer.withAliceBobAndOps(extraConfig: config)
        defer { server.stop() }
        let idle = try (0..<2).map { _ in try RawTCP.connect(port: server.port) }
        usleep(300_000)
        let refused = try server.ssh("alice", key: alice, ["batches"])
        #expect(refused.status == 255)
        #expect(server.logText.contains(logged))
        for fd in idle { close(fd) }

        let later = try Self.retryingForTenSeconds { try server.ssh("alice", key: alice, ["batches"]) }
        #expect(later.succeeded, "\(later.stderr)\n\(server.logText)")
    }

    @Test func maxAuthTriesEndsTheConnectionAfterThatManyFailures() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps(extraConfig: "MaxAuthTries 2")
        defer { server.stop() }
        // Two wrong keys, then alice's own on the same connection: after
        // the second failure nothing more is tried, not even the right key.
        let keys = try (1...2).map { try server.makeKey("stranger\($0)") } + [alice]
        let argv = ["ssh"] + server.sshOptions + ["-v", "-p", String(server.port)]
            + keys.flatMap { ["-i", $0] } + ["alice@127.0.0.1", "batches"]
        let result = try ProcessRunner.run(argv, timeout: 30)
        #expect(result.status == 255)
        #expect(!result.stderr.contains("Server accepts key"), "\(result.stderr)")
        #expect(!result.stdout.contains("ID"))
        let log = server.logText
        #expect(log.contains("too many authentication failures, disconnecting"))
        #expect(log.components(separatedBy: "authentication refused").count - 1 == 2, "\(log)")
        #expect(!log.contains("] authenticated"), "\(log)")

        // A new connection may try again.
        let again = try server.ssh("alice", key: alice, ["batches"])
        #expect(again.succeeded, "\(again.stderr)")
    }

    @Test func loginGraceTimeClosesAConnectionThatNeverLogsIn() throws {
        let (server, _) = try TestServer.withAliceBobAndOps(extraConfig: "LoginGraceTime 2")
        defer { server.stop() }
        // A client that connects and says nothing at all.
        let silent = try RawTCP.connect(port: server.port)
        defer { close(silent) }
        let seconds = try #require(RawTCP.secondsUntilClosed(silent, timeout: 20), "still open after 20 s")
        #expect(seconds > 1.5 && seconds < 12, "closed after \(seconds) s")
    }

    @Test func idleTimeoutClosesAQuietAuthenticatedConnection() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps(extraConfig: "IdleTimeout 2")
        defer { server.stop() }
        // Logged in, no command, no traffic: `ssh -N` waits for ever.
        let started = Date()
        let result = try ProcessRunner.run(["ssh"] + server.sshOptions + ["-N", "-p", String(server.port), "-i", alice,
                                                                          "alice@127.0.0.1"], timeout: 30)
        let seconds = Date().timeIntervalSince(started)
        #expect(result.status == 255)
        #expect(seconds > 1.5 && seconds < 15, "ended after \(seconds) s")
        #expect(server.logText.contains("idle timeout, disconnecting"))
        #expect(server.logText.contains("user=alice"))
    }

    @Test func unknownUserAndKnownUserWithUnknownKeyLookAlike() throws {
        let (server, _) = try TestServer.withAliceBobAndOps()
        defer { server.stop() }
        let stranger = try server.makeKey("stranger")
        var seconds: [String: [Double]] = [:]
        var answers: [String: Set<String>] = [:]
        for _ in 0..<8 {
            for user in ["alice", "nobody"] {
                let started = Date()
                let result = try server.ssh(user, key: stranger, ["batches"])
                seconds[user, default: []].append(Date().timeIntervalSince(started))
                #expect(result.status == 255)
                answers[user, default: []].insert(result.stderr.replacingOccurrences(of: user + "@", with: "USER@"))
            }
        }
        #expect(answers["alice"] == answers["nobody"])
        #expect(answers["alice"]?.count == 1, "\(answers)")
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        let known = median(seconds["alice"] ?? [])
        let unknown = median(seconds["nobody"] ?? [])
        // Both take one catalogue lookup; only a deliberate difference
        // (a delay, a different number of round trips) would show.
        #expect(abs(known - unknown) < max(0.1, 0.5 * min(known, unknown)), "known user \(known) s, unknown \(unknown) s")
    }

    /// Runs `attempt` until it succeeds, for at most ten seconds; returns the last result.
    private static func retryingForTenSeconds(_ attempt: () throws -> ProcessResult) throws -> ProcessResult {
        let deadline = Date().addingTimeInterval(10)
        var result = try attempt()
        while !result.succeeded && Date() < deadline {
            usleep(250_000)
            result = try attempt()
        }
        return result
    }
}
