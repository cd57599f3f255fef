import BatchCore
import BatchStore
import Foundation
import Logging
import SSHKit

/// A target's long-lived `subscribe` channel: offers go out on it, answers
/// and delivery reports come back. Confined to the channel's loop thread;
/// `send` may be called from any thread and hops there.
final class SubscribeChannelHandler: SSHChannelHandler, @unchecked Sendable {
    let user: String
    private let channel: SSHChannel
    private let catalogue: Catalogue
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

    private let peer: String
    /// The key the subscriber logged in with; revoking it closes the channel.
    let key: String

    init(channel: SSHChannel, user: String, key: String, peer: String, catalogue: Catalogue, notifier: Notifier, logger: Logger) {
        self.channel = channel
        self.user = user
        self.key = key
        self.peer = peer
        self.catalogue = catalogue
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
            notifier.register(self)
            write(.hello(Hello(user: user, software: "batchd")))
            sendWaitingOffers()
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
    /// subscriber; safe from any thread.
    func send(batch: Int64, frame: [UInt8]) {
        channel.execute { [self] in deliver(batch: batch, frame: frame) }
    }

    /// Queues a message (a relay plan, a withdrawn offer) for this
    /// subscriber; safe from any thread.
    func send(_ message: SubscriptionMessage) {
        channel.execute { [self] in
            guard !channel.isClosed else { return }
            write(message)
        }
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
        channel.close(exitStatus: 0)
    }

    func channelClosed(_ channel: SSHChannel) {
        notifier.unregister(self)
        logger.info("subscriber disconnected")
    }

    func channelDrained(_ channel: SSHChannel) {
        if backlogged {
            backlogged = false
            sendWaitingOffers()
        }
    }

    // MARK: - Offers

    private func sendWaitingOffers() {
        do {
            for id in try catalogue.waitingOffers(target: user) where !sent.contains(id) {
                guard let frame = try OfferBuilder.frame(for: id, catalogue: catalogue, logger: logger) else { continue }
                deliver(batch: id, frame: frame)
                if backlogged { return }
            }
        } catch {
            logger.error("cannot read waiting offers", metadata: ["error": "\(error)"])
        }
    }

    private func deliver(batch: Int64, frame: [UInt8]) {
        guard !channel.isClosed, !sent.contains(batch) else { return }
        guard channel.pendingBytes < SubscribeChannelHandler.maxBuffered else {
            backlogged = true
            logger.notice("subscriber is not reading; offer held back", metadata: ["batch": "\(batch)"])
            return
        }
        sent.insert(batch)
        channel.write(frame)
        notifier.recorder.offered(OfferKey(batch: batch, target: user))
        CrashPoint.offer.reached()
    }

    // MARK: - Answers

    private func handle(_ message: SubscriptionMessage) {
        switch message {
        case .hello(let hello):
            guard hello.user == user else {
                write(.error(message: "hello names '\(hello.user)' but this connection is '\(user)'"))
                return
            }
            notifier.relays.register(user: user, listen: hello.listen, hostKey: hello.hostKey, seenFrom: peer)
            logger.debug("subscriber hello", metadata: ["software": "\(hello.software)", "listen": "\(hello.listen ?? "-")"])
        case .accept(let batch):
            transition(batch, to: .accepted, detail: nil, allowedFrom: [.pending, .offered])
            if (try? catalogue.offerState(batch: batch, target: user)) == .accepted {
                notifier.replan(batch, acceptedBy: user)
            }
        case .sample(let sample):
            guard sample.seconds > 0 else { return }
            do {
                try catalogue.addLinkSample(LinkSample(
                    from: sample.source, to: user, throughputBps: Double(sample.bytes) / sample.seconds,
                    rttMs: sample.rttMs ?? 0, at: Int64(Date().timeIntervalSince1970)))
            } catch {
                logger.error("cannot record link sample", metadata: ["error": "\(error)"])
            }
        case .decline(let batch, let reason):
            transition(batch, to: .declined, detail: reason, allowedFrom: [.pending, .offered, .accepted])
        case .progress(let batch, let bytes, let total, let source):
            logger.debug("progress", metadata: ["batch": "\(batch)", "bytes": "\(bytes)", "total": "\(total)", "source": "\(source)"])
        case .delivered(let batch, let receivedFrom):
            let peers = receivedFrom.filter { $0.key != "server" && $0.value > 0 }
            for (peer, bytes) in peers {
                do {
                    try catalogue.addReceivedBytes(batch: batch, target: user, source: peer, bytes: bytes)
                } catch {
                    logger.error("cannot record received bytes", metadata: ["batch": "\(batch)", "error": "\(error)"])
                }
            }
            let from = receivedFrom.filter { $0.value > 0 }.keys.sorted().joined(separator: ",")
            transition(batch, to: .delivered, detail: from.isEmpty ? nil : "from \(from)", allowedFrom: [.accepted])
        case .failed(let batch, let reason):
            transition(batch, to: .failed, detail: reason, allowedFrom: [.accepted, .offered, .pending])
            notifier.replan(batch)
        case .keepalive:
            write(.keepalive)
        case .offer, .withdrawn, .error, .plan:
            write(.error(message: "'\(message.typeName)' is sent by the server, not by subscribers"))
        case .unknown(let type):
            logger.debug("unknown subscriber message ignored", metadata: ["type": "\(type)"])
        }
    }

    private func transition(_ batch: Int64, to state: OfferState, detail: String?, allowedFrom: Set<OfferState>) {
        notifier.recorder.flush()
        do {
            guard let current = try catalogue.offerState(batch: batch, target: user) else {
                write(.error(message: "batch \(batch) was not offered to \(user)"))
                return
            }
            if current == state { return }
            guard allowedFrom.contains(current) else {
                write(.error(message: "batch \(batch) is \(current.rawValue) for \(user); cannot become \(state.rawValue)"))
                return
            }
            try catalogue.updateOffer(batch: batch, target: user, state: state, detail: detail)
            if state != .accepted { sent.remove(batch) }
            var metadata: Logger.Metadata = ["batch": "\(batch)", "state": "\(state.rawValue)"]
            if let detail { metadata["detail"] = "\(detail)" }
            logger.info("offer answered", metadata: metadata)
        } catch {
            logger.error("cannot record offer state", metadata: ["batch": "\(batch)", "error": "\(error)"])
            write(.error(message: "the server could not record that: \(error)"))
        }
    }

    private func write(_ message: SubscriptionMessage) {
        channel.write(message.encodeFrame())
    }
}
