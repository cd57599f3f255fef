import BatchStore
import Dispatch
import Locking
import Logging

/// Records offers as sent off the event loops, many per transaction: the
/// loops only queue, and a batch offered to thousands of subscribers costs
/// one commit instead of one each on the loop threads. It records on the
/// notifier's queue, so an answer recorded there always finds its offer
/// recorded first.
///
/// A batch's fan-out is recorded once every channel has written it
/// (`flushSoon()`), so the catalogue's work does not take a core from the
/// loops while they write; other offers are recorded within `linger`.
/// An offer written but not yet recorded when batchd dies is still
/// `pending`, and goes out again when its target reconnects.
final class OfferRecorder: Sendable {
    private let catalogue: Catalogue
    private let logger: Logger
    private let queued = Locked<[OfferKey]>([])
    private let worker: DispatchQueue

    /// The longest an offer written waits to be recorded.
    static let linger = DispatchTimeInterval.milliseconds(500)

    init(catalogue: Catalogue, queue: DispatchQueue, logger: Logger) {
        self.catalogue = catalogue
        worker = queue
        self.logger = logger
    }

    /// Queues `offers` to be recorded as sent; safe from any thread.
    func offered(_ offers: [OfferKey]) {
        guard !offers.isEmpty else { return }
        let first = queued.withLock { queue in
            queue += offers
            return queue.count == offers.count
        }
        if first {
            worker.asyncAfter(deadline: .now() + Self.linger) { [self] in flush() }
        }
    }

    /// Records what is queued as soon as the notifier's queue gets to it:
    /// a fan-out has finished writing.
    func flushSoon() {
        worker.async { [self] in flush() }
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
