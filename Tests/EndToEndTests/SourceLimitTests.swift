import Foundation
import Testing

/// Per-source limits: an address that keeps failing to log in is shut out
/// for a while, and one address cannot hold every unauthenticated slot.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct SourceLimitTests {
    @Test func repeatedAuthFailuresShutTheSourceOutThenItServesAgain() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps(
            extraConfig: "PerSourcePenalties authfail:2 noauth:0 min:3 max:10", penalties: true)
        defer { server.stop() }
        let stranger = try server.makeKey("stranger")
        // Each failure adds 2 s; after two, 4 s remain: more than min (3 s).
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
        let (server, alice) = try TestServer.withAliceBobAndOps(extraConfig: "PerSourceMaxStartups 2")
        defer { server.stop() }
        // Two connections that never speak hold both slots.
        let idle = try (0..<2).map { _ in try Self.connect(port: server.port) }
        usleep(300_000)
        let refused = try server.ssh("alice", key: alice, ["batches"])
        #expect(refused.status == 255)
        #expect(server.logText.contains("PerSourceMaxStartups 2"))
        for fd in idle { close(fd) }

        let later = try Self.retryingForTenSeconds { try server.ssh("alice", key: alice, ["batches"]) }
        #expect(later.succeeded, "\(later.stderr)\n\(server.logText)")
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

    /// A plain TCP connection to the server's loopback port.
    private static func connect(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw TestFailure("cannot connect to 127.0.0.1:\(port)")
        }
        return fd
    }
}
