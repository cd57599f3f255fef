import BatchCore
import BatchStore
import Locking
import Logging

/// Holds every target's open subscribe channels and pushes each sealed
/// batch's offer to its online recipients at once. Offers to offline
/// targets stay `pending` in the catalogue and go out when they connect.
final class Notifier: Sendable {
    private let catalogue: Catalogue
    private let logger: Logger
    /// Target user → its live subscribe channels. The mutex guards only this map.
    private let subscribers = Locked<[String: [ObjectIdentifier: SubscribeChannelHandler]]>([:])

    /// Plans relays among the accepted targets of each batch.
    let relays: RelayCoordinator
    /// Records offers as sent, in batches, off the loops.
    let recorder: OfferRecorder

    init(catalogue: Catalogue, strategy: RelayStrategy, logger: Logger) {
        self.catalogue = catalogue
        self.logger = logger
        relays = RelayCoordinator(catalogue: catalogue, strategy: strategy, logger: logger)
        recorder = OfferRecorder(catalogue: catalogue, logger: logger)
    }

    func register(_ handler: SubscribeChannelHandler) {
        subscribers.withLock { $0[handler.user, default: [:]][ObjectIdentifier(handler)] = handler }
    }

    func unregister(_ handler: SubscribeChannelHandler) {
        subscribers.withLock { map in
            map[handler.user]?.removeValue(forKey: ObjectIdentifier(handler))
            if map[handler.user]?.isEmpty == true { map.removeValue(forKey: handler.user) }
        }
    }

    /// Sends the accepted, online targets of `batch` their current plans:
    /// after `user` accepted, to `user` and to every target that serves
    /// peers, whose grants now name `user` (a later target is never an
    /// earlier one's source, so the others' sources stand); after a
    /// failure, to all of them.
    func replan(_ batch: Int64, acceptedBy user: String? = nil) {
        var plans: [String: Plan]
        do {
            plans = try relays.plans(for: batch)
        } catch {
            logger.error("cannot plan relays", metadata: ["batch": "\(batch)", "error": "\(error)"])
            return
        }
        if let user { plans = plans.filter { $0.key == user || !$0.value.grants.isEmpty } }
        let online = subscribers.withLock { map in plans.keys.flatMap { map[$0].map { Array($0.values) } ?? [] } }
        // Upstream targets learn their grants before anyone is told to
        // fetch from them: plans go out in acceptance order.
        for handler in online {
            if let plan = plans[handler.user] { handler.send(.plan(plan)) }
        }
    }

    /// Tells the online `targets` that `batch` is no longer offered to them
    /// (it was purged), so they stop waiting for it.
    func withdraw(_ batch: Int64, from targets: [String], reason: String) {
        let online = subscribers.withLock { map in targets.flatMap { map[$0].map { Array($0.values) } ?? [] } }
        for handler in online {
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

    /// How many subscribe channels are open.
    var subscriberCount: Int {
        subscribers.withLock { $0.values.reduce(0) { $0 + $1.count } }
    }

    /// The targets with at least one subscribe channel open.
    var connectedTargets: Set<String> {
        subscribers.withLock { Set($0.keys) }
    }

    /// A batch sealed: its offer goes to every online recipient now, each
    /// on its own loop thread.
    func batchSealed(_ id: Int64, recipients: [String]) {
        let frame: [UInt8]?
        do {
            // One encoding for every subscriber: an offer carries every piece hash.
            frame = try OfferBuilder.frame(for: id, catalogue: catalogue, logger: logger)
        } catch {
            logger.error("cannot build offer", metadata: ["batch": "\(id)", "error": "\(error)"])
            return
        }
        guard let frame else { return }
        let online = subscribers.withLock { map in recipients.flatMap { map[$0].map { Array($0.values) } ?? [] } }
        for handler in online {
            handler.send(batch: id, frame: frame)
        }
        logger.info("offer sent", metadata: ["batch": "\(id)", "online": "\(online.count)", "recipients": "\(recipients.count)"])
    }
}
