import BatchStore
import Dispatch
import Locking
import Logging

/// Records offers as sent off the event loops, many per transaction: the
/// loops only queue, and a batch offered to thousands of subscribers costs
/// one commit instead of one each on the loop threads. It records on the
/// notifier's queue, so an answer recorded there always finds its offer
/// recorded first.
final class OfferRecorder: Sendable {
    private let catalogue: Catalogue
    private let logger: Logger
    private let queued = Locked<[OfferKey]>([])
    private let worker: DispatchQueue

    init(catalogue: Catalogue, queue: DispatchQueue, logger: Logger) {
        self.catalogue = catalogue
        worker = queue
        self.logger = logger
    }

    /// Queues `offer` to be recorded as sent; safe from any thread.
    func offered(_ offer: OfferKey) {
        let first = queued.withLock { queue in
            queue.append(offer)
            return queue.count == 1
        }
        if first {
            worker.async { [self] in flush() }
        }
    }

    /// Records everything queued now, on the notifier's queue. Called
    /// before an answer is recorded, so a target's history keeps `offered`
    /// before its answer.
    func flush() {
        let offers = queued.withLock { queue -> [OfferKey] in
            let taken = queue
            queue.removeAll()
            return taken
        }
        guard !offers.isEmpty else { return }
        do {
            try catalogue.markOffered(offers)
        } catch {
            logger.error("cannot record offers as sent", metadata: ["offers": "\(offers.count)", "error": "\(error)"])
        }
    }
}
