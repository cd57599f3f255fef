import BatchCore
import Foundation
import Locking
import Logging
import SSHKit
import Synchronization

/// batchd-recv's main loop: one SSH connection to the server with a
/// long-lived `subscribe` channel, answering each offer and starting a
/// delivery thread for each accepted batch. Reconnects with backoff when
/// the server goes away; refuses loudly, and stops, when its host key
/// changed or its key is refused.
public final class Receiver: @unchecked Sendable {
    private let configuration: ReceiverConfiguration
    private let logger: Logger
    private let inbox: Inbox
    /// Messages for the server from delivery threads; the subscribe
    /// thread sends them. The mutex guards only the array.
    private let outbox = Locked<[SubscriptionMessage]>([])
    /// Batches with a delivery thread running.
    private let running = Locked<Set<Int64>>([])
    /// With `--once`: the exit status once the first offer resolved.
    private let onceResult = Locked<Int32?>(nil)
    private let stopFlag = Atomic<Bool>(false)
    private let shelf = PeerShelf()
    private let listener: PeerListener
    /// The newest plan per batch, for its delivery thread, while that
    /// delivery runs.
    private let plans = Locked<[Int64: PlanBox]>([:])

    public init(configuration: ReceiverConfiguration, logger: Logger) throws(ReceiverError) {
        guard !configuration.user.isEmpty else { throw .configuration("--user is required") }
        guard !configuration.identity.isEmpty else { throw .configuration("--identity is required") }
        guard !configuration.inbox.isEmpty else { throw .configuration("--inbox is required") }
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "user"] = "\(configuration.user)"
        logger[metadataKey: "peer"] = "\(configuration.server)"
        self.logger = logger
        inbox = Inbox(directory: configuration.inbox, stateDirectory: configuration.stateDirectory)
        try inbox.prepare()
        listener = PeerListener(shelf: shelf, logger: logger)
        if let address = configuration.listen {
            do {
                try listener.start(address: address, stateDirectory: configuration.stateDirectory)
            } catch {
                throw .configuration("cannot serve peers on \(address): \(error)")
            }
        }
    }

    /// Asks `run` to return soon.
    public func stop() {
        stopFlag.store(true, ordering: .relaxed)
    }

    /// What the hello tells the server about the peer listener.
    private var advertisedListen: (String?, String?) {
        guard let address = configuration.listen, let key = listener.hostKey else { return (nil, nil) }
        return (HostPort(host: address.host, port: listener.port).description, "\(key.publicKey.type) \(key.publicKey.base64)")
    }

    /// Runs until stopped (exit 0), until a fatal error (exit 1), or with
    /// `--once` until the first offer resolved (0 delivered or declined,
    /// 1 failed).
    public func run() -> Int32 {
        var backoff = 1.0
        while !stopFlag.load(ordering: .relaxed) {
            if let result = onceResult.withLock({ $0 }) { return result }
            do {
                if let refusal = try subscribe(connected: { backoff = 1 }) {
                    logger.critical("the server refused the subscription: \(refusal)")
                    return 1
                }
            } catch {
                switch error {
                case .hostKeyChanged, .hostKeyUnknown, .hostKeyMismatch, .authenticationFailed, .identityUnreadable:
                    logger.critical("\(error)")
                    return 1
                default:
                    logger.warning("connection to the server lost; reconnecting", metadata: ["error": "\(error)", "in": "\(backoff)s"])
                }
            }
            if let result = onceResult.withLock({ $0 }) { return result }
            sleep(seconds: backoff)
            backoff = min(backoff * 2, configuration.maxBackoff)
        }
        return 0
    }

    /// Runs one subscription until it ends. Returns the server's message
    /// when it refused the subscription outright (wrong role), which no
    /// reconnection can fix; throws when the connection was lost.
    private func subscribe(connected: () -> Void) throws(SSHKitError) -> String? {
        let session = try SSHClientSession(configuration: configuration.client)
        defer { session.close() }
        let channel = try session.exec("subscribe")
        defer { channel.close() }
        connected()
        logger.info("subscribed", metadata: ["server_key": "\(session.serverFingerprint)"])
        let (listen, hostKey) = advertisedListen
        try channel.write(SubscriptionMessage.hello(Hello(user: configuration.user, software: "batchd-recv",
                                                          listen: listen, hostKey: hostKey)).encodeFrame())
        var framer = SubscriptionFramer()
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        var lastTraffic = Date()
        var keepAliveSent: Date?
        while !stopFlag.load(ordering: .relaxed) {
            // Read the --once result before draining: a delivery thread queues
            // its report before it sets the result, so nothing is left behind.
            let done = onceResult.withLock { $0 } != nil
            for message in outbox.withLock({ queue -> [SubscriptionMessage] in defer { queue.removeAll() }; return queue }) {
                try channel.write(message.withTextShortened().encodeFrame())
            }
            if done { return nil }
            // The wait bounds how late a delivery's reports (and --once's
            // exit) follow it: short while deliveries run, longer when idle.
            let wait = running.withLock { $0.isEmpty } ? 0.2 : 0.02
            let count = try buffer.withUnsafeMutableBytes { raw in
                Result { () throws(SSHKitError) in try channel.read(into: raw, timeout: wait) }
            }.get()
            guard let count else {
                let message = channel.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
                if let status = channel.exitStatus, status != 0, !message.isEmpty { return message }
                throw .channel(message.isEmpty ? "the server closed the subscription" : message)
            }
            if count > 0 {
                lastTraffic = Date()
                keepAliveSent = nil
                framer.append(Array(buffer[0 ..< count]))
                do {
                    while let message = try framer.next() {
                        try handle(message, on: channel)
                    }
                } catch let error as SSHKitError {
                    throw error
                } catch {
                    throw .channel("\(ReceiverError.protocolViolation("\(error)"))")
                }
            } else if let sent = keepAliveSent {
                if Date().timeIntervalSince(sent) > configuration.keepAliveInterval {
                    throw .channel("the server did not answer a keep-alive")
                }
            } else if Date().timeIntervalSince(lastTraffic) > configuration.keepAliveInterval {
                try channel.write(SubscriptionMessage.keepalive.encodeFrame())
                keepAliveSent = Date()
            }
        }
        return nil
    }

    private func handle(_ message: SubscriptionMessage, on channel: SSHClientChannel) throws(SSHKitError) {
        switch message {
        case .offer(let offer):
            try answer(offer, on: channel)
        case .plan(let plan):
            shelf.setGrants(plan.grants, for: plan.batch)
            // The listener lets these peers in from now on: the server
            // names this target as their source only once it knows that.
            if !plan.grants.isEmpty {
                try channel.write(SubscriptionMessage.granted(batch: plan.batch, users: plan.grants.map(\.user)).encodeFrame())
            }
            // Plans keep coming for a batch delivered here while this
            // target serves it; only a delivery in progress needs them.
            plans.withLock { $0[plan.batch] }?.update(plan)
            logger.debug("plan", metadata: ["batch": "\(plan.batch)", "sources": "\(plan.sources.map(\.name))",
                                            "grants": "\(plan.grants.map(\.user))"])
        case .withdrawn(let batch, let reason):
            logger.notice("offer withdrawn", metadata: ["batch": "\(batch)", "reason": "\(reason)"])
        case .error(let text):
            logger.warning("the server refused a message", metadata: ["reason": "\(text)"])
        case .hello, .keepalive, .unknown:
            break
        case .accept, .decline, .progress, .delivered, .failed, .sample, .granted, .dropped:
            logger.warning("unexpected message from the server ignored", metadata: ["type": "\(message.typeName)"])
        }
    }

    private func answer(_ offer: Offer, on channel: SSHClientChannel) throws(SSHKitError) {
        guard !running.withLock({ $0.contains(offer.batch) }) else {
            // The server offers again what it has no answer for: the accept
            // was lost with an earlier connection. The delivery already
            // under way needs the server to know it was accepted.
            try channel.write(SubscriptionMessage.accept(batch: offer.batch).encodeFrame())
            logger.info("accepted again: the server lost the earlier answer", metadata: ["batch": "\(offer.batch)"])
            return
        }
        var log = logger
        log[metadataKey: "batch"] = "\(offer.batch)"
        log.info("offer", metadata: ["source": "\(offer.source)", "destination": "\(offer.destination)",
                                     "files": "\(offer.totalFiles)", "size": "\(offer.size)"])
        let decision: OfferPrompt.Answer
        switch configuration.accept {
        case .auto: decision = .accept
        case .never: decision = .decline("\(configuration.user) does not accept batches (batchd-recv --accept never)")
        case .ask: decision = OfferPrompt.ask(offer)
        }
        switch decision {
        case .decline(let reason):
            try channel.write(SubscriptionMessage.decline(batch: offer.batch, reason: reason).withTextShortened().encodeFrame())
            log.info("declined", metadata: ["reason": "\(reason)"])
            finishOnce(0)
        case .accept:
            try channel.write(SubscriptionMessage.accept(batch: offer.batch).encodeFrame())
            log.info("accepted")
            startDelivery(offer, logger: log)
        }
    }

    private func startDelivery(_ offer: Offer, logger: Logger) {
        running.withLock { _ = $0.insert(offer.batch) }
        let job = DeliveryJob(
            offer: offer, inbox: inbox, configuration: configuration, shelf: shelf, plans: planBox(for: offer.batch),
            logger: logger,
            progress: ProgressLine.onTerminal(label: inbox.stem(of: offer) + ".tar.gz"),
            report: { [self] message in outbox.withLock { $0.append(message) } })
        let thread = Thread { [self] in
            let outcome = job.run()
            switch outcome {
            case .delivered(let receivedFrom):
                outbox.withLock { $0.append(.delivered(batch: offer.batch, receivedFrom: receivedFrom)) }
                finishOnce(0)
            case .failed(let reason):
                outbox.withLock { $0.append(.failed(batch: offer.batch, reason: reason)) }
                finishOnce(1)
            }
            running.withLock { _ = $0.remove(offer.batch) }
            plans.withLock { _ = $0.removeValue(forKey: offer.batch) }
        }
        thread.name = "delivery-\(offer.batch)"
        thread.start()
    }

    private func planBox(for batch: Int64) -> PlanBox {
        plans.withLock { boxes in
            if let box = boxes[batch] { return box }
            let box = PlanBox()
            boxes[batch] = box
            return box
        }
    }

    private func finishOnce(_ status: Int32) {
        guard configuration.once else { return }
        onceResult.withLock { if $0 == nil { $0 = status } }
    }

    private func sleep(seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline, !stopFlag.load(ordering: .relaxed) {
            Thread.sleep(forTimeInterval: 0.1)
        }
    }
}
