import BatchCore
import BatchStore
import Dispatch
import Foundation
import Locking
import Logging

/// The offer lifecycle's home in the server. It holds every target's open
/// subscribe channels, pushes each sealed batch's offer to its online
/// recipients at once, and turns what targets answer into `OfferLifecycle`
/// events that the catalogue applies, then performs what they cause:
/// refusals, plans, grants. Everything that touches the catalogue runs on
/// its own serial queue, in the order it arrived, never on a loop thread;
/// the channels' loops only queue work here and take back frames to write.
/// Offers to offline targets stay `pending` and go out when they connect.
final class Notifier: @unchecked Sendable {
    private let catalogue: Catalogue
    private let logger: Logger
    /// Target user → its live subscribe channels. The mutex guards only this map.
    private let subscribers = Locked<[String: [ObjectIdentifier: SubscribeChannelHandler]]>([:])
    /// Catalogue work in order: answers, plans, samples, served bytes.
    private let queue = DispatchQueue(label: "batchd.offers")
    /// Each batch's plans on their way out; confined to `queue`.
    private var releases: [Int64: PlanRelease] = [:]
    /// Bumped per batch when plans are held, so that an older expiry
    /// leaves newer holds alone; confined to `queue`.
    private var holds: [Int64: Int] = [:]
    /// Link reports held until a delivery confirms them; confined to `queue`.
    private var samples = SampleGate()
    /// Per batch, the sources each target dropped; confined to `queue`.
    private var dropped: [Int64: [String: Set<String>]] = [:]
    /// The newest offer frames, for targets that connect after a seal.
    private let frames = OfferFrames()

    /// Plans relays among the accepted targets of each batch.
    let relays: RelayCoordinator
    /// Records offers as sent, many per transaction, on `queue`.
    let recorder: OfferRecorder

    /// How long a plan naming a peer source waits for that peer to confirm
    /// its grant before it goes out without it.
    static let grantWait = 2.0
    /// The batches whose plans are remembered; older ones are forgotten.
    static let rememberedBatches = 256

    init(catalogue: Catalogue, strategy: RelayStrategy, logger: Logger) {
        self.catalogue = catalogue
        self.logger = logger
        relays = RelayCoordinator(catalogue: catalogue, strategy: strategy, logger: logger)
        recorder = OfferRecorder(catalogue: catalogue, queue: queue, logger: logger)
    }

    // MARK: - Subscribers

    /// A subscribe channel opened: it is sent every offer still waiting
    /// for its target.
    func register(_ handler: SubscribeChannelHandler) {
        subscribers.withLock { $0[handler.user, default: [:]][ObjectIdentifier(handler)] = handler }
        sendWaitingOffers(to: handler)
    }

    /// A subscribe channel closed. With its target's last one gone, what
    /// the target confirmed as an upstream no longer holds.
    func unregister(_ handler: SubscribeChannelHandler) {
        let gone = subscribers.withLock { map -> Bool in
            map[handler.user]?.removeValue(forKey: ObjectIdentifier(handler))
            guard map[handler.user]?.isEmpty == true else { return false }
            map.removeValue(forKey: handler.user)
            return true
        }
        guard gone else { return }
        queue.async { [self] in
            for batch in releases.keys { releases[batch]?.forget(upstream: handler.user) }
        }
    }

    /// Sends `handler` the offers still waiting for its target (the
    /// lifecycle's `subscribed`: every unresolved offer goes out again).
    func sendWaitingOffers(to handler: SubscribeChannelHandler) {
        queue.async { [self] in
            do {
                for id in try catalogue.waitingOffers(target: handler.user) {
                    guard let frame = try frame(for: id) else { continue }
                    handler.send(batch: id, frame: frame)
                }
            } catch {
                logger.error("cannot read waiting offers", metadata: ["user": "\(handler.user)", "error": "\(error)"])
            }
        }
    }

    /// How many subscribe channels are open.
    var subscriberCount: Int {
        subscribers.withLock { $0.values.reduce(0) { $0 + $1.count } }
    }

    /// The targets with at least one subscribe channel open.
    var connectedTargets: Set<String> {
        subscribers.withLock { Set($0.keys) }
    }

    private func online(_ targets: some Sequence<String>) -> [SubscribeChannelHandler] {
        subscribers.withLock { map in targets.flatMap { map[$0].map { Array($0.values) } ?? [] } }
    }

    // MARK: - Offers

    /// A batch sealed: its offer goes to every online recipient now, each
    /// on its own loop thread. Called off the loops (the seal's thread).
    func batchSealed(_ id: Int64, recipients: [String]) {
        let sealedAt = ProcessInfo.processInfo.systemUptime
        let frame: [UInt8]?
        do {
            frame = try self.frame(for: id)
        } catch {
            logger.error("cannot build offer", metadata: ["batch": "\(id)", "error": "\(error)"])
            return
        }
        guard let frame else { return }
        let online = online(recipients)
        let fanout = OfferFanout(batch: id, subscribers: online.count, sealedAt: sealedAt, logger: logger) { [recorder] in
            recorder.flushSoon()
        }
        SubscribeChannelHandler.send(batch: id, frame: frame, to: online, fanout: fanout, recorder: recorder)
        logger.info("offer sent", metadata: ["batch": "\(id)", "online": "\(online.count)", "recipients": "\(recipients.count)"])
    }

    /// One encoding for every subscriber: an offer carries every piece hash.
    private func frame(for id: Int64) throws(StoreError) -> [UInt8]? {
        if let frame = frames[id] { return frame }
        guard let frame = try OfferBuilder.frame(for: id, catalogue: catalogue, logger: logger) else { return nil }
        frames[id] = frame
        return frame
    }

    /// Tells the online `targets` that `batch` is no longer offered to them
    /// (it was purged, and the catalogue withdrew their offers), so they
    /// stop waiting for it.
    func withdraw(_ batch: Int64, from targets: [String], reason: String) {
        frames[batch] = nil
        for handler in online(targets) {
            handler.forget(batch)
            handler.send(.withdrawn(batch: batch, reason: reason))
        }
    }

    /// Asks every subscriber to check that its key is still active; the
    /// server calls this every few seconds, so a revoked key loses its
    /// open subscription promptly.
    func checkRevocations(isActive: @escaping @Sendable (_ key: String, _ user: String) -> Bool) {
        let all = subscribers.withLock { $0.values.flatMap { Array($0.values) } }
        for handler in all { handler.closeIfRevoked(isActive: isActive) }
    }

    // MARK: - Answers

    /// A message from `handler`'s target that the catalogue must see: an
    /// answer, a link sample, a grant confirmation. Queued in order.
    func received(_ message: SubscriptionMessage, from handler: SubscribeChannelHandler) {
        queue.async { [self] in
            switch message {
            case .accept(let batch):
                apply(.accept, batch: batch, from: handler)
            case .decline(let batch, let reason):
                apply(.decline(reason: reason), batch: batch, from: handler)
            case .delivered(let batch, let receivedFrom):
                apply(.deliver(receivedFrom: receivedFrom), batch: batch, from: handler)
            case .failed(let batch, let reason):
                apply(.fail(reason: reason), batch: batch, from: handler)
            case .granted(let batch, let users):
                confirm(batch, upstream: handler.user, downstreams: users)
            case .sample(let sample):
                if !samples.hold(sample, from: handler.user) {
                    logger.debug("link report dropped: no accepted offer waits for it", metadata: [
                        "batch": "\(sample.batch)", "user": "\(handler.user)", "source": "\(TerminalText.escaped(sample.source))",
                    ])
                }
            case .dropped(let batch, let source, let reason):
                drop(source, batch: batch, by: handler.user, reason: reason)
            default:
                break
            }
        }
    }

    private func apply(_ event: OfferLifecycle.Event, batch: Int64, from handler: SubscribeChannelHandler) {
        // The history keeps `offered` before the answer to it.
        recorder.flush()
        let user = handler.user
        let outcome: OfferLifecycle.Outcome
        do {
            outcome = try catalogue.applyOffer(event, batch: batch, target: user)
        } catch {
            logger.error("cannot record offer state", metadata: ["batch": "\(batch)", "user": "\(user)", "error": "\(error)"])
            handler.send(.error(message: "the server could not record that: \(error)"))
            return
        }
        for action in outcome.actions {
            switch action {
            case .record(let state, let detail):
                gateSamples(batch: batch, target: user, state: state)
                var metadata: Logger.Metadata = ["batch": "\(batch)", "user": "\(user)", "state": "\(state.rawValue)"]
                if let detail { metadata["detail"] = "\(TerminalText.escaped(detail))" }
                logger.info("offer answered", metadata: metadata)
            case .refuse(let refusal):
                handler.send(.error(message: refusal.sentence(batch: batch, target: user)))
            case .plan(.taker):
                replan(batch, taker: user)
            case .plan(.everyone):
                replan(batch, taker: nil)
            case .forget:
                handler.forget(batch)
            case .countReceived, .sendOffer, .sendWithdrawn, .serve:
                break
            }
        }
    }

    /// Opens, confirms or drops the link reports held for an offer as it
    /// moves to `state`; a delivery records them, capped by what the
    /// server saw of it.
    private func gateSamples(batch: Int64, target: String, state: OfferState) {
        let now = ProcessInfo.processInfo.systemUptime
        switch state {
        case .accepted:
            samples.accepted(batch: batch, target: target, at: now)
        case .delivered:
            let size: Int64
            do {
                size = try catalogue.batch(id: batch, targets: false)?.size ?? 0
            } catch {
                logger.error("cannot read the batch's size", metadata: ["batch": "\(batch)", "error": "\(error)"])
                samples.ended(batch: batch, target: target)
                return
            }
            for sample in samples.delivered(batch: batch, target: target, size: size, at: now) {
                record(sample)
            }
        case .declined, .failed, .withdrawn:
            samples.ended(batch: batch, target: target)
        case .pending, .offered:
            break
        }
    }

    private func record(_ sample: SampleGate.Confirmed) {
        do {
            try catalogue.addLinkSample(LinkSample(
                from: sample.from, to: sample.to, throughputBps: sample.throughputBps,
                rttMs: sample.rttMs ?? 0, at: Int64(Date().timeIntervalSince1970)))
        } catch {
            logger.error("cannot record link sample", metadata: ["user": "\(sample.to)", "error": "\(error)"])
        }
    }

    /// `target` stopped fetching `batch` from `source`: the batch is
    /// re-planned, without that source for `target`, and without it for
    /// everyone once two targets dropped it.
    private func drop(_ source: String, batch: Int64, by target: String, reason: String) {
        var metadata: Logger.Metadata = [
            "batch": "\(batch)", "user": "\(target)", "source": "\(TerminalText.escaped(source))",
            "reason": "\(TerminalText.escaped(reason))",
        ]
        guard source != PlanSource.serverName, source != target, releases[batch] != nil,
              (dropped[batch]?[target]?.count ?? 0) < Plan.maxEntries else {
            logger.debug("dropped source ignored: not a peer planned for this batch", metadata: metadata)
            return
        }
        guard dropped[batch, default: [:]][target, default: []].insert(source).inserted else { return }
        metadata["dropped_by"] = "\(dropped[batch]?.values.filter { $0.contains(source) }.count ?? 0)"
        logger.warning("a target dropped a peer source", metadata: metadata)
        replan(batch, taker: nil)
    }

    // MARK: - Plans

    /// Sends the accepted, online targets of `batch` their current plans:
    /// after `taker` accepted, to it and to every target that serves peers,
    /// whose grants now name it; after a failure, to all of them. A plan
    /// naming a peer that has not confirmed its grant waits for it
    /// (`PlanRelease`).
    private func replan(_ batch: Int64, taker: String?) {
        var plans: [String: Plan]
        do {
            plans = try relays.plans(for: batch, dropped: dropped[batch] ?? [:])
        } catch {
            logger.error("cannot plan relays", metadata: ["batch": "\(batch)", "error": "\(error)"])
            return
        }
        if let taker { plans = plans.filter { $0.key == taker || !$0.value.grants.isEmpty } }
        var release = releases[batch] ?? PlanRelease()
        let ready = release.release(plans.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        keep(release, for: batch)
        send(ready)
        if release.isHolding { expireHeldPlans(of: batch) }
    }

    /// `upstream` lets `downstreams` in now: plans that waited for it go out.
    private func confirm(_ batch: Int64, upstream: String, downstreams: [String]) {
        var release = releases[batch] ?? PlanRelease()
        let ready = release.confirm(upstream: upstream, downstreams: downstreams)
        keep(release, for: batch)
        logger.debug("grants confirmed", metadata: ["batch": "\(batch)", "user": "\(upstream)", "peers": "\(downstreams)"])
        send(ready)
    }

    private func expireHeldPlans(of batch: Int64) {
        let generation = (holds[batch] ?? 0) + 1
        holds[batch] = generation
        queue.asyncAfter(deadline: .now() + Notifier.grantWait) { [self] in
            guard holds[batch] == generation, var release = releases[batch], release.isHolding else { return }
            let (plans, unconfirmed) = release.expire()
            keep(release, for: batch)
            logger.warning("peers did not confirm their grants in time; their downstreams fetch without them", metadata: [
                "batch": "\(batch)", "peers": "\(unconfirmed.sorted())", "waiting": "\(plans.map(\.target))",
            ])
            send(plans)
        }
    }

    private func keep(_ release: PlanRelease, for batch: Int64) {
        releases[batch] = release
        if releases.count > Notifier.rememberedBatches, let oldest = releases.keys.min() {
            releases.removeValue(forKey: oldest)
            holds.removeValue(forKey: oldest)
            dropped.removeValue(forKey: oldest)
        }
    }

    private func send(_ plans: [(target: String, plan: Plan)]) {
        for (target, plan) in plans {
            for handler in online([target]) { handler.send(.plan(plan)) }
        }
    }

    // MARK: - Fetches

    /// Whether `user` may fetch pieces of `request.batch` now, and from
    /// which archive: the lifecycle's `fetch`, read on the queue. The
    /// answer comes on the queue; the caller hops back to its loop.
    func checkFetch(_ request: FetchRequest, user: String,
                    answer: @escaping @Sendable (Result<ServedArchive, DeliveryError>) -> Void) {
        queue.async { [catalogue] in
            answer(Result { () throws(DeliveryError) in
                try ServedArchive.check(request, user: user, catalogue: catalogue)
            })
        }
    }

    /// Counts bytes the server served `user` of `batch`.
    func recordServed(_ bytes: Int64, batch: Int64, to user: String) {
        queue.async { [self] in
            do {
                try catalogue.addReceivedBytes(batch: batch, target: user, source: PlanSource.serverName, bytes: bytes)
            } catch {
                logger.error("cannot record served bytes", metadata: ["batch": "\(batch)", "user": "\(user)", "error": "\(error)"])
            }
        }
    }

    /// Runs `work` on the queue once everything queued before it has run.
    func afterQueued(_ work: @escaping @Sendable () -> Void) {
        queue.async(execute: work)
    }

    /// Returns once everything queued before it has run: for shutdown,
    /// which must leave the catalogue settled. Never on a loop thread.
    func settle() {
        queue.sync {}
    }
}
