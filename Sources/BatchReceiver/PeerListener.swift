import BatchCore
import Foundation
import Logging
import SSHKit

/// `batchd-recv --listen`: an SSH server on the same SSHKit loop as
/// batchd, serving the pieces this target holds to peers with the same
/// `fetch ID FIRST LAST` channel the server speaks, so a peer is just
/// another source. Only users and keys the server granted get in, and only
/// for the batches granted to them.
final class PeerListener: SSHServerDelegate, @unchecked Sendable {
    private let shelf: PeerShelf
    private let logger: Logger
    private var server: SSHServer?
    /// The host key peers pin, from the server's plan.
    private(set) var hostKey: HostKey?
    private(set) var port = 0

    init(shelf: PeerShelf, logger: Logger) {
        self.shelf = shelf
        var logger = logger
        logger[metadataKey: "channel"] = "peer"
        self.logger = logger
    }

    /// Binds and starts serving; the host key lives in `stateDirectory`.
    func start(address: HostPort, stateDirectory: String) throws(SSHKitError) {
        var configuration = SSHServerConfiguration(
            address: address.isWildcard ? "0.0.0.0" : address.host, port: address.port,
            hostKeyPath: stateDirectory + "/peer_host_ed25519_key")
        configuration.eventLoops = 1
        configuration.loginGraceTime = 20
        let server = try SSHServer(configuration: configuration, delegate: self)
        server.start()
        self.server = server
        hostKey = server.hostKey
        port = server.boundPort
        logger.notice("serving pieces to peers", metadata: ["address": "\(configuration.address):\(port)",
                                                             "fingerprint": "\(server.hostKey.fingerprint)"])
    }

    func stop() {
        server?.stop()
        server = nil
    }

    // MARK: - SSHServerDelegate

    func isAuthorized(user: String, key: SSHPublicKey, peer: PeerAddress) -> Bool {
        shelf.knows(user: user, keyLine: "\(key.type) \(key.base64)")
    }

    func handler(for request: SSHChannelRequest, session: SSHSessionInfo, channel: SSHChannel) -> SSHChannelHandler? {
        guard case .exec(let line) = request else { return nil }
        var log = logger
        log[metadataKey: "user"] = "\(session.user)"
        log[metadataKey: "peer"] = "\(session.peer)"
        do {
            let request = try FetchRequest.parse(arguments: try ExecCommandLine.split(line))
            guard request.content == .bytes else {
                // A piece list comes from the server, which vouches for it.
                return RefusalHandler(channel: channel, message: "a peer serves pieces only; ask the server for piece lists")
            }
            guard shelf.isGranted(user: session.user, batch: request.batch), let store = shelf.store(for: request.batch) else {
                log.notice("peer fetch refused: batch not granted", metadata: ["batch": "\(request.batch)"])
                return RefusalHandler(channel: channel, message: "batch \(request.batch) was not granted to \(session.user)")
            }
            guard request.last < store.offer.pieceCount else {
                return RefusalHandler(channel: channel, message: "batch \(request.batch) has \(store.offer.pieceCount) pieces")
            }
            return PeerFetchHandler(request: request, store: store, channel: channel, logger: log)
        } catch {
            return RefusalHandler(channel: channel, message: "\(error)")
        }
    }

    func sessionEvent(_ event: SSHSessionEvent) {
        switch event {
        case .authenticationFailed(_, let peer, let user, _):
            logger.notice("peer authentication refused", metadata: ["user": "\(user)", "peer": "\(peer)"])
        default:
            break
        }
    }
}

/// Accepts a request only to refuse it with a message and exit status 1.
final class RefusalHandler: SSHChannelHandler, @unchecked Sendable {
    init(channel: SSHChannel, message: String) {
        channel.execute {
            channel.writeStderr("batchd-recv: \(message)\n")
            channel.close(exitStatus: 1)
        }
    }

    func channel(_ channel: SSHChannel, received data: UnsafeRawBufferPointer) {}
    func channelReceivedEOF(_ channel: SSHChannel) {}
    func channelClosed(_ channel: SSHChannel) {}
}
