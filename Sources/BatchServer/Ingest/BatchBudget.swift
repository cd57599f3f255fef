import BatchCore
import BatchStore
import Foundation
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
    private let catalogue: Catalogue

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

    init(destination: Destination, source: String, policy: TopicPolicy, ledger: QuotaLedger, catalogue: Catalogue) {
        self.destination = destination.component
        key = QuotaLedger.Key(source: source, topic: destination.topicName)
        maxBatchSize = policy.maxBatchSize
        quota = policy.sourceQuota
        self.ledger = ledger
        self.catalogue = catalogue
    }

    /// Re-reads what the source's sealed batches took in the last 24
    /// hours; called as each file of the batch opens.
    func refresh() throws(IngestError) {
        guard quota != nil else { return }
        let since = Int64(Date().timeIntervalSince1970) - 86_400
        let sealed: Int64
        do {
            sealed = try catalogue.droppedBytes(source: key.source, topic: key.topic, since: since)
        } catch {
            throw .storage("cannot read the quota used: \(error)")
        }
        state.withLock { $0.sealedRecently = sealed }
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
