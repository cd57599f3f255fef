import Foundation
import Locking
import Logging

/// Follows one sealed batch's offer out to its online subscribers: each
/// loop thread says when it handed the frame to SSH on each of its
/// channels (or that it did not), and once all have, one line is logged
/// with how long after the seal that took, as p50, p99 and max. This is
/// batchd's own side of the offer latency, apart from how fast the
/// subscribers read. Then `onFinished` runs, once.
final class OfferFanout: Sendable {
    private let batch: Int64
    private let total: Int
    private let sealedAt: Double
    private let logger: Logger
    private let onFinished: @Sendable () -> Void
    private let state = Locked<(count: Int, milliseconds: [Double])>((0, []))

    init(batch: Int64, subscribers: Int, sealedAt: Double, logger: Logger, onFinished: @escaping @Sendable () -> Void = {}) {
        self.batch = batch
        total = subscribers
        self.sealedAt = sealedAt
        self.logger = logger
        self.onFinished = onFinished
        state.withLock { $0.milliseconds.reserveCapacity(subscribers) }
    }

    /// How long ago the batch sealed, in milliseconds.
    func millisecondsSinceSeal() -> Double {
        (ProcessInfo.processInfo.systemUptime - sealedAt) * 1000
    }

    /// `count` more channels are done: `written` holds the latency of each
    /// that handed the offer to SSH; the others were closed, had it
    /// already, or were backlogged.
    func finished(written: [Double], of count: Int) {
        let done = state.withLock { state -> [Double]? in
            state.count += count
            state.milliseconds += written
            return state.count == total ? state.milliseconds : nil
        }
        guard let done else { return }
        onFinished()
        let sorted = done.sorted()
        func quantile(_ q: Double) -> String {
            guard !sorted.isEmpty else { return "-" }
            let rank = min(sorted.count - 1, max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1))
            return String(format: "%.1f", sorted[rank])
        }
        logger.info("offer written to every online subscriber", metadata: [
            "batch": "\(batch)", "written": "\(sorted.count)", "subscribers": "\(total)",
            "p50_ms": "\(quantile(0.5))", "p99_ms": "\(quantile(0.99))", "max_ms": "\(quantile(1))",
        ])
    }
}
