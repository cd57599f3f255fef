import BatchCore
import BatchStore
import Foundation

/// Purging batches, as `batchctl batch purge` and the server's retention
/// sweep both do it: the catalogue says `purged` first, then the archive
/// is deleted. A crash between the two leaves an archive no sealed batch
/// owns, which batchd removes when it starts.
enum Purge {
    /// Purges batch `id` for `reason` and deletes its archive. Refuses a
    /// batch still being delivered unless `force`.
    static func batch(_ id: Int64, reason: String, force: Bool, catalogue: Catalogue) throws(PurgeError) -> PurgedBatch {
        let purged: PurgedBatch
        do {
            purged = try catalogue.purgeBatch(id: id, reason: reason, force: force)
        } catch {
            throw .store(error)
        }
        CrashPoint.purge.reached()
        if let archive = purged.archive, FileManager.default.fileExists(atPath: archive) {
            do {
                try FileManager.default.removeItem(atPath: archive)
            } catch {
                throw .archiveNotRemoved(path: archive, reason: error.localizedDescription)
            }
        }
        return purged
    }

    /// The outcome of one batch in a sweep of expired batches.
    enum SweepResult: Sendable {
        /// Purged; the targets named had an open offer, now withdrawn.
        case purged(PurgedBatch, ExpiredBatch)
        /// Kept for now: targets are still fetching it, or it could not be purged.
        case kept(ExpiredBatch, PurgeError)
    }

    /// Purges every sealed batch kept past its topic's `Retention` at
    /// `now`, except those still being delivered, which are tried again at
    /// the next sweep.
    static func expired(rules: TopicRules, catalogue: Catalogue, now: Int64) throws(StoreError) -> [SweepResult] {
        let expired = try catalogue.expiredBatches(now: now) { rules.policy(forTopic: $0).retention }
        return expired.map { batch in
            do throws(PurgeError) {
                let reason = "expired after \(DurationText.describe(batch.retention)) (Retention)"
                return .purged(try Purge.batch(batch.id, reason: reason, force: false, catalogue: catalogue), batch)
            } catch {
                return .kept(batch, error)
            }
        }
    }
}
