import BatchCore
import BatchStore
import Dispatch
import Foundation
import Logging
import Locking

/// Purges sealed batches kept past their topic's `Retention`, off the
/// network loops: at start, then as often as the shortest retention
/// needs (a quarter of it, between once a second and once a minute). A
/// batch a target is still fetching is kept and tried again; targets
/// still waiting on its offer are told it is withdrawn.
///
/// It also notices, every few seconds, batches that `batchctl batch purge`
/// purged (over ssh, or on the state directory from another process):
/// it logs each, and tells the targets whose offer that ended.
/// Its work runs on `queue`, once a second, or under `state`'s lock.
final class RetentionSweeper: @unchecked Sendable {
    private let catalogue: Catalogue
    private let settings: IngestSettings
    private let notifier: Notifier
    private let logger: Logger
    private let queue = DispatchQueue(label: "retention", qos: .utility)

    private let timer: RepeatingTimer

    private struct State {
        var nextSweep: ContinuousClock.Instant = .now
        /// Expired batches already logged as kept, so each is logged once.
        var reportedKept: Set<Int64> = []
        var nextLook: ContinuousClock.Instant = .now
        /// Purges are looked for from this time on (Unix seconds).
        var lookSince = Int64(Date().timeIntervalSince1970)
        /// Purges already announced, with when they happened.
        var announced: [Int64: Int64] = [:]
    }

    /// How often purges made by others are looked for.
    static let lookInterval: Duration = .seconds(2)

    private let state = Locked(State())

    init(catalogue: Catalogue, settings: IngestSettings, notifier: Notifier, logger: Logger) {
        self.catalogue = catalogue
        self.settings = settings
        self.notifier = notifier
        self.logger = logger
        timer = RepeatingTimer(queue: queue, interval: .seconds(1))
    }

    /// Starts checking once a second whether a sweep is due.
    func start() {
        timer.start(after: .seconds(0)) { [self] in tick() }
    }

    func stop() {
        timer.stop()
    }

    private func tick() {
        let look = state.withLock { current -> Bool in
            guard current.nextLook <= .now else { return false }
            current.nextLook = .now + Self.lookInterval
            return true
        }
        if look { announceOtherPurges() }
        let rules = settings.current.topics
        guard let shortest = rules.shortestRetention else { return }
        let due = state.withLock { current -> Bool in
            guard current.nextSweep <= .now else { return false }
            current.nextSweep = .now + .seconds(min(60, max(1, shortest / 4)))
            return true
        }
        if due { sweep(rules) }
    }

    /// One pass over the sealed batches.
    func sweep(_ rules: TopicRules) {
        let results: [Purge.SweepResult]
        do {
            results = try Purge.expired(rules: rules, catalogue: catalogue, now: Int64(Date().timeIntervalSince1970))
        } catch {
            logger.error("cannot look for expired batches", metadata: ["error": "\(error)"])
            return
        }
        for result in results {
            switch result {
            case .purged(let purged, let batch):
                let reason = "expired after \(DurationText.describe(batch.retention)) (Retention)"
                logger.notice("batch purged", metadata: [
                    "batch": "\(purged.id)", "reason": "\(reason)", "topic": "\(batch.topic ?? "-")",
                    "withdrawn": "\(purged.withdrawnFrom.joined(separator: ","))",
                ])
                notifier.withdraw(purged.id, from: purged.withdrawnFrom, reason: reason)
                let now = Int64(Date().timeIntervalSince1970)
                state.withLock { $0.announced[purged.id] = now }
            case .kept(let batch, let error):
                guard state.withLock({ $0.reportedKept.insert(batch.id).inserted }) else { continue }
                if case .store(.beingDelivered) = error {
                    logger.info("expired batch kept until its deliveries finish", metadata: ["batch": "\(batch.id)", "reason": "\(error)"])
                } else {
                    logger.error("cannot purge an expired batch", metadata: ["batch": "\(batch.id)", "error": "\(error)"])
                }
            }
        }
    }

    /// Logs the purges made since the last look by anyone but this sweep,
    /// and tells their targets. Purged-at times are whole seconds, so each
    /// look starts a second back and skips what it announced already.
    private func announceOtherPurges() {
        let since = state.withLock { $0.lookSince }
        let notices: [PurgeNotice]
        do {
            notices = try catalogue.purgedBatches(since: since - 1)
        } catch {
            logger.error("cannot look for purged batches", metadata: ["error": "\(error)"])
            return
        }
        let now = Int64(Date().timeIntervalSince1970)
        let fresh = state.withLock { current -> [PurgeNotice] in
            let fresh = notices.filter { current.announced[$0.id] == nil }
            for notice in fresh { current.announced[notice.id] = notice.purgedAt }
            current.lookSince = now
            current.announced = current.announced.filter { $0.value >= now - 2 }
            return fresh
        }
        for notice in fresh {
            logger.notice("batch purged", metadata: [
                "batch": "\(notice.id)", "reason": "\(notice.reason)", "by": "batchctl",
                "withdrawn": "\(notice.withdrawnFrom.joined(separator: ","))",
            ])
            notifier.withdraw(notice.id, from: notice.withdrawnFrom, reason: notice.reason)
        }
    }
}
