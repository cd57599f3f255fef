import Foundation
import Locking
import SSHKit

/// A real SSHKit server on a loopback port whose exec commands exist for
/// the client tests:
/// - `echo`: sends back what it receives; exits 5 after the client's EOF.
/// - `payload N`: writes N bytes of `Pattern`, then exits 3.
/// - `fail`: writes a line on standard error, then exits 7.
/// - `refuse`: refuses the request.
/// - `thread`: writes `loop` when the request was handled on a thread
///   marked as an event loop's (`LoopThread`), `other` otherwise.
final class TestServer {
    static let user = "alice"
    let server: SSHServer

    init(hostKeyPath: String, authorized: [SSHPublicKey]) throws {
        var configuration = SSHServerConfiguration(address: "127.0.0.1", port: 0, hostKeyPath: hostKeyPath)
        configuration.eventLoops = 1
        server = try SSHServer(configuration: configuration, delegate: TestDelegate(authorized: authorized))
        server.start()
    }

    var port: Int { server.boundPort }
    var hostKey: HostKey { server.hostKey }

    func stop() {
        server.stop()
    }
}

final class TestDelegate: SSHServerDelegate {
    let authorized: Set<String>

    init(authorized: [SSHPublicKey]) {
        self.authorized = Set(authorized.map(\.base64))
    }

    func isAuthorized(user: String, key: SSHPublicKey, peer: PeerAddress) -> Bool {
        user == TestServer.user && authorized.contains(key.base64)
    }

    func handler(for request: SSHChannelRequest, session: SSHSessionInfo, channel: SSHChannel) -> SSHChannelHandler? {
        guard case .exec(let command) = request else { return nil }
        let words = command.split(separator: " ")
        switch words.first {
        case "echo":
            return EchoHandler()
        case "digest":
            return DigestHandler()
        case "payload":
            guard words.count == 2, let size = Int(words[1]) else { return nil }
            let handler = PayloadHandler(size: size)
            // Start once the exec request has been answered.
            channel.execute { handler.pump(channel) }
            return handler
        case "fail":
            let handler = PayloadHandler(size: 0)
            channel.execute {
                channel.writeStderr("batch 42 does not exist\n")
                channel.close(exitStatus: 7)
            }
            return handler
        case "refuse":
            return nil
        case "thread":
            let handler = PayloadHandler(size: 0)
            let answer = LoopThread.isCurrent ? "loop" : "other"
            channel.execute {
                channel.write(answer)
                channel.close(exitStatus: 0)
            }
            return handler
        default:
            return nil
        }
    }

    func sessionEvent(_ event: SSHSessionEvent) {}
}

final class EchoHandler: SSHChannelHandler {
    func channel(_ channel: SSHChannel, received data: UnsafeRawBufferPointer) {
        channel.write(data)
    }

    func channelReceivedEOF(_ channel: SSHChannel) {
        channel.close(exitStatus: 5)
    }

    func channelClosed(_ channel: SSHChannel) {}
}

/// Takes everything the client sends and answers, at EOF, with its length
/// and FNV-1a hash: a big upload with nothing coming back, so the
/// client's writes wait only for the window, never for its own reads.
final class DigestHandler: SSHChannelHandler {
    private var count = 0
    private var hash = Digest.offset

    func channel(_ channel: SSHChannel, received data: UnsafeRawBufferPointer) {
        count += data.count
        hash = Digest.fold(data, into: hash)
    }

    func channelReceivedEOF(_ channel: SSHChannel) {
        channel.write("\(count) \(hash)\n")
        channel.close(exitStatus: 5)
    }

    func channelClosed(_ channel: SSHChannel) {}
}

/// FNV-1a, 64 bits.
enum Digest {
    static let offset: UInt64 = 0xcbf2_9ce4_8422_2325

    static func fold(_ bytes: UnsafeRawBufferPointer, into hash: UInt64) -> UInt64 {
        var hash = hash
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}

/// Writes `size` pattern bytes as fast as the client's window allows.
/// Used only on the server loop thread that owns its channel.
final class PayloadHandler: SSHChannelHandler, @unchecked Sendable {
    private let size: Int
    private var sent = 0

    init(size: Int) {
        self.size = size
    }

    func pump(_ channel: SSHChannel) {
        // A write that fits the window produces no `channelDrained`, so keep
        // writing until one is queued.
        while sent < size && channel.pendingBytes == 0 && !channel.isClosed {
            let count = min(256 * 1024, size - sent)
            channel.write(Pattern.bytes(at: sent, count: count))
            sent += count
        }
        if sent == size && size > 0 {
            channel.close(exitStatus: 3)
        }
    }

    func channel(_ channel: SSHChannel, received data: UnsafeRawBufferPointer) {}
    func channelReceivedEOF(_ channel: SSHChannel) {}
    func channelClosed(_ channel: SSHChannel) {}

    func channelDrained(_ channel: SSHChannel) {
        pump(channel)
    }
}
