import Foundation
import Testing

/// Attacks before a login: connections that never speak or stall in the
/// key exchange, from many addresses at once, cannot hold a real login
/// off; a client that pipelines its whole login and first request behind
/// NEWKEYS in one write is served like any other, never crashes batchd.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct PreAuthenticationTests {
    /// What OpenSSH's `ssh` needs to log in and run `batches` on an idle
    /// server, with its own start: well under a second.
    private static let loginBound = 2.0

    @Test func silentAndStallingConnectionsFromManyAddressesDoNotDelayALogin() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps()
        defer { server.stop() }
        // 64 addresses that connect and never send a byte, and 16 that
        // send their banner and then nothing: under the default MaxStartups.
        let silent = try (2...65).map { try RawTCP.connect(port: server.port, from: "127.0.0.\($0)") }
        let stalled = try (66...81).map { host -> Int32 in
            let fd = try RawTCP.connect(port: server.port, from: "127.0.0.\(host)")
            _ = Array("SSH-2.0-stall\r\n".utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            return fd
        }
        defer { for fd in silent + stalled { close(fd) } }
        usleep(300_000)
        let seconds = try Self.timedLogins(server, alice)
        #expect(seconds.allSatisfy { $0 < Self.loginBound }, "login took \(seconds) s\n\(server.logText)")
    }

    @Test func aFloodBeyondMaxStartupsStillLetsALoginIn() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps(extraConfig: "MaxStartups 16")
        defer { server.stop() }
        let flood = try (2...49).map { try RawTCP.connect(port: server.port, from: "127.0.0.\($0)") }
        defer { for fd in flood { close(fd) } }
        usleep(300_000)
        let seconds = try Self.timedLogins(server, alice)
        #expect(seconds.allSatisfy { $0 < Self.loginBound }, "login took \(seconds) s\n\(server.logText)")
        // No more than MaxStartups of the flood are still open.
        let closed = flood.filter { RawTCP.secondsUntilClosed($0, timeout: 0.2) != nil }.count
        #expect(closed >= flood.count - 16, "\(closed) of \(flood.count) closed")
    }

    @Test func aLoginAndExecPipelinedBehindNewKeysInOneWriteIsServed() throws {
        let (server, _) = try TestServer.withAliceBobAndOps()
        defer { server.stop() }
        for _ in 0..<5 {
            let result = try PythonClient.run("pipelined_login.py", ["127.0.0.1", String(server.port), "alice",
                                                                     server.keyPath("alice"), "batches"])
            #expect(result.succeeded, "\(result.stderr)\n\(server.logText)")
            #expect(result.stderr.contains("burst"), "\(result.stderr)")
            #expect(result.stdout.contains("DESTINATION"), "\(result.stdout)")
            #expect(server.isRunning, "\(server.logText)")
        }
        let alice = server.keyPath("alice")
        #expect(try server.ssh("alice", key: alice, ["batches"]).succeeded)
    }

    /// Three logins that run `batches`, each timed from the start of `ssh`.
    private static func timedLogins(_ server: TestServer, _ key: String) throws -> [Double] {
        try (0..<3).map { _ in
            let start = Date()
            let result = try server.ssh("alice", key: key, ["batches"], timeout: 30)
            #expect(result.succeeded, "\(result.stderr)")
            return Date().timeIntervalSince(start)
        }
    }
}
