import BatchCore
import BatchStore
import Locking

/// Counts the bytes of one open batch against its topic's MaxBatchSize and
/// its source's SourceQuota, so an upload that would pass either is
/// refused at the write that would pass it, with the reason.
final class BatchBudget: Sendable {
    private let destination: String
    private let key: QuotaLedger.Key
    private let maxBatchSize: Int64?
    private let quota: Int64?
    private let ledger: QuotaLedger
    private let sealed: SealedDrops

    private struct State {
        /// Bytes of the batch's files now.
        var bytes: Int64 = 0
        /// Bytes the source's sealed batches to this topic took in the last 24 hours.
        var sealedRecently: Int64 = 0
        var released = false
    }

    private let state = Locked(State())

    /// Whether either limit applies; without one, nothing is counted.
    var isLimited: Bool { maxBatchSize != nil || quota != nil }

    init(destination: Destination, source: String, policy: TopicPolicy, ledger: QuotaLedger, sealed: SealedDrops) {
        self.destination = destination.component
        key = QuotaLedger.Key(source: source, topic: destination.topicName)
        maxBatchSize = policy.maxBatchSize
        quota = policy.sourceQuota
        self.ledger = ledger
        self.sealed = sealed
    }

    /// Takes again what the source's sealed batches took in the last 24
    /// hours (from memory); called as each file of the batch opens.
    func refresh() {
        guard quota != nil else { return }
        let recent = sealed.recentBytes(for: key)
        state.withLock { $0.sealedRecently = recent }
    }

    /// Throws unless `bytes` more would fit now, without counting them: a
    /// size announced before the data (`scp`'s file header).
    func checkRoom(for bytes: Int64) throws(IngestError) {
        guard isLimited else { return }
        let current = state.withLock { $0 }
        if let maxBatchSize, current.bytes + bytes > maxBatchSize {
            throw .batchTooLarge(destination: destination, limit: maxBatchSize)
        }
        if let quota {
            let used = current.sealedRecently + ledger.openBytes(for: key)
            if used + bytes > quota { throw .quotaExceeded(destination: destination, quota: quota, used: used) }
        }
    }

    /// Counts `delta` more bytes, or throws, counting nothing, if the batch
    /// or the source's quota would pass its limit.
    func grow(by delta: Int64) throws(IngestError) {
        guard isLimited, delta > 0 else { return }
        let result: IngestError? = state.withLock { current in
            guard !current.released else { return nil }
            if let maxBatchSize, current.bytes + delta > maxBatchSize {
                return .batchTooLarge(destination: destination, limit: maxBatchSize)
            }
            if let quota, !ledger.reserve(delta, for: key, allowed: quota - current.sealedRecently) {
                return .quotaExceeded(destination: destination, quota: quota,
                                      used: current.sealedRecently + ledger.openBytes(for: key))
            }
            current.bytes += delta
            return nil
        }
        if let result { throw result }
    }

    /// Stops counting `delta` bytes: a file was truncated, replaced or removed.
    func shrink(by delta: Int64) {
        guard isLimited, delta > 0 else { return }
        state.withLock { current in
            guard !current.released else { return }
            let taken = min(delta, current.bytes)
            current.bytes -= taken
            if quota != nil { ledger.release(taken, for: key) }
        }
    }

    /// The batch is sealed (its bytes are in the catalogue now) or gone.
    func release() {
        state.withLock { current in
            guard !current.released else { return }
            current.released = true
            if quota != nil { ledger.release(current.bytes, for: key) }
        }
    }
}
