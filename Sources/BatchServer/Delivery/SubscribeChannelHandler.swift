import BatchCore
import BatchStore
import Foundation
import Logging
import SSHKit

/// A target's long-lived `subscribe` channel: offers go out on it, answers
/// and delivery reports come back and go to the `Notifier`, which records
/// them off the loop. Confined to the channel's loop thread; `send` and
/// `forget` may be called from any thread and hop there.
final class SubscribeChannelHandler: SSHChannelHandler, @unchecked Sendable {
    let user: String
    private let channel: SSHChannel
    private let notifier: Notifier
    private var logger: Logger
    private var framer = SubscriptionFramer()
    /// Offers written on this channel and not yet answered for good: a
    /// declined, delivered or failed offer is never sent again, so it
    /// leaves the set, which stays as small as the offers in flight on a
    /// subscription that lasts for months.
    private var sent = Set<Int64>()
    /// Set when an offer was held back because the subscriber stopped
    /// reading; waiting offers are sent again once its buffer drains.
    private var backlogged = false
    /// Output a subscriber that stops reading may hold: a bounded buffer,
    /// never the loop.
    static let maxBuffered = 1 << 20

    private let peer: PeerAddress
    /// The key the subscriber logged in with; revoking it closes the channel.
    let key: String

    init(channel: SSHChannel, user: String, key: String, peer: PeerAddress, notifier: Notifier, logger: Logger) {
        self.channel = channel
        self.user = user
        self.key = key
        self.peer = peer
        self.notifier = notifier
        self.logger = logger
        self.logger[metadataKey: "user"] = "\(user)"
        self.logger[metadataKey: "peer"] = "\(peer)"
        self.logger[metadataKey: "channel"] = "subscribe"
        channel.execute { [self] in
            // A channel closed before this ran was never registered, so
            // its channelClosed had nothing to unregister: registering it
            // now would keep it in the notifier for good.
            guard !channel.isClosed else { return }
            write(.hello(Hello(user: user, software: "batchd")))
            notifier.register(self)
            logger.info("subscriber connected")
        }
    }

    /// Closes the channel when its key was revoked or its user removed;
    /// safe from any thread.
    func closeIfRevoked(isActive: @escaping @Sendable (_ key: String, _ user: String) -> Bool) {
        guard !isActive(key, user) else { return }
        channel.execute { [self] in
            guard !channel.isClosed else { return }
            logger.warning("subscriber's key revoked; closing its channel")
            write(.error(message: "the key this subscription logged in with has been revoked"))
            channel.close(exitStatus: 1)
        }
    }

    /// Queues the offer of `batch`, already encoded as `frame`, for this
    /// subscriber; safe from any thread. An offer already on this channel
    /// is not sent twice.
    func send(batch: Int64, frame: [UInt8]) {
        channel.execute { [self] in
            if deliver(batch: batch, frame: frame) { notifier.recorder.offered([offerKey(batch)]) }
        }
    }

    /// Writes the offer of `batch` to each of `handlers` that is still
    /// waiting for it, one closure per loop thread; `fanout` learns when
    /// each was written and the recorder records them. Safe from any thread.
    static func send(batch: Int64, frame: [UInt8], to handlers: [SubscribeChannelHandler], fanout: OfferFanout,
                     recorder: OfferRecorder) {
        let orphans = SSHChannel.executeGrouped(handlers, channel: \.channel) { group in
            var written: [Double] = []
            var offered: [OfferKey] = []
            written.reserveCapacity(group.count)
            offered.reserveCapacity(group.count)
            for handler in group where handler.deliver(batch: batch, frame: frame) {
                written.append(fanout.millisecondsSinceSeal())
                offered.append(handler.offerKey(batch))
            }
            recorder.offered(offered)
            fanout.finished(written: written, of: group.count)
        }
        if !orphans.isEmpty { fanout.finished(written: [], of: orphans.count) }
    }

    private func offerKey(_ batch: Int64) -> OfferKey {
        OfferKey(batch: batch, target: user)
    }

    /// Queues a message (a relay plan, a withdrawn offer, a refusal) for
    /// this subscriber; safe from any thread.
    func send(_ message: SubscriptionMessage) {
        channel.execute { [self] in
            guard !channel.isClosed else { return }
            write(message)
        }
    }

    /// The offer of `batch` is over for this channel; safe from any thread.
    func forget(_ batch: Int64) {
        channel.execute { [self] in _ = sent.remove(batch) }
    }

    // MARK: - SSHChannelHandler

    func channel(_ channel: SSHChannel, received data: UnsafeRawBufferPointer) {
        framer.append(data)
        do {
            while !channel.isClosed, let message = try framer.next() {
                handle(message)
            }
        } catch {
            logger.warning("malformed subscriber message, closing", metadata: ["error": "\(error)"])
            write(.error(message: error.description))
            channel.close(exitStatus: 1)
        }
    }

    func channelReceivedEOF(_ channel: SSHChannel) {
        // Answers sent before the EOF are answered first: the close waits
        // behind them on the notifier's queue.
        notifier.afterQueued {
            channel.execute { [channel] in
                if !channel.isClosed { channel.close(exitStatus: 0) }
            }
        }
    }

    func channelClosed(_ channel: SSHChannel) {
        notifier.unregister(self)
        logger.info("subscriber disconnected")
    }

    func channelDrained(_ channel: SSHChannel) {
        if backlogged {
            backlogged = false
            notifier.sendWaitingOffers(to: self)
        }
    }

    // MARK: - Offers

    /// Writes the offer unless it went out already, the channel closed or
    /// the subscriber is not reading; true when it was written, for the
    /// caller to record.
    private func deliver(batch: Int64, frame: [UInt8]) -> Bool {
        guard !channel.isClosed, !sent.contains(batch) else { return false }
        guard channel.pendingBytes < SubscribeChannelHandler.maxBuffered else {
            if !backlogged { logger.notice("subscriber is not reading; offers held back", metadata: ["batch": "\(batch)"]) }
            backlogged = true
            return false
        }
        sent.insert(batch)
        channel.write(frame)
        CrashPoint.offer.reached()
        return true
    }

    // MARK: - Messages

    private func handle(_ message: SubscriptionMessage) {
        switch message {
        case .hello(let hello):
            guard hello.user == user else {
                write(.error(message: "hello names '\(hello.user)' but this connection is '\(user)'"))
                return
            }
            notifier.relays.register(user: user, listen: hello.listen, hostKey: hello.hostKey, seenFrom: peer)
            logger.debug("subscriber hello", metadata: ["software": "\(TerminalText.escaped(hello.software))",
                                                        "listen": "\(TerminalText.escaped(hello.listen ?? "-"))"])
        case .accept, .decline, .delivered, .failed, .granted, .sample, .dropped:
            notifier.received(message, from: self)
        case .progress(let batch, let bytes, let total, let source):
            logger.debug("progress", metadata: ["batch": "\(batch)", "bytes": "\(bytes)", "total": "\(total)", "source": "\(source)"])
        case .keepalive:
            write(.keepalive)
        case .offer, .withdrawn, .error, .plan:
            write(.error(message: "'\(message.typeName)' is sent by the server, not by subscribers"))
        case .unknown(let type):
            logger.debug("unknown subscriber message ignored", metadata: ["type": "\(TerminalText.escaped(type))"])
        }
    }

    private func write(_ message: SubscriptionMessage) {
        channel.write(message.encodeFrame())
    }
}
