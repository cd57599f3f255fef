import GRDB

extension Catalogue {
    /// Marks a sealed or failed batch purged, for `reason`, and withdraws
    /// its unanswered offers. A batch some target accepted and does not
    /// hold yet is being delivered: it is refused, unless `force`, which
    /// withdraws those deliveries too. The record stays for history; the caller
    /// deletes the archive the result names.
    public func purgeBatch(id: Int64, reason: String, force: Bool = false) throws(StoreError) -> PurgedBatch {
        try write { db in
            var batch = try Catalogue.batchRecord(db, id: id)
            let state = BatchState(rawValue: batch.state) ?? .failed
            guard state == .sealed || state == .failed else {
                throw StoreError.wrongBatchState(id: id, state: state, operation: "purge")
            }
            let delivering = try String.fetchAll(db, sql: """
                SELECT target FROM offers WHERE batch_id = ? AND state = 'accepted' ORDER BY target
                """, arguments: [id])
            guard force || delivering.isEmpty else { throw StoreError.beingDelivered(id: id, targets: delivering) }
            let unresolved = try String.fetchAll(db, sql: """
                SELECT target FROM offers WHERE batch_id = ? AND state IN ('pending', 'offered', 'accepted') ORDER BY target
                """, arguments: [id])
            let archive = batch.archive
            batch.state = BatchState.purged.rawValue
            batch.archive = nil
            // A failed batch keeps why it failed; the purge is added to it.
            batch.failure = state == .failed ? "\(batch.failure ?? "failed"); purged: \(reason)" : reason
            batch.purgedAt = Catalogue.now()
            try batch.update(db)
            try Catalogue.resolveOffers(db, batch: id, on: .withdraw(reason: "batch purged: \(reason)"))
            return PurgedBatch(id: id, archive: archive, withdrawnFrom: unresolved)
        }
    }

    /// Batches purged at `since` (Unix seconds) or later, oldest first,
    /// each with the targets whose offer the purge ended.
    public func purgedBatches(since: Int64) throws(StoreError) -> [PurgeNotice] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, failure, purged_at FROM batches WHERE state = 'purged' AND purged_at >= ? ORDER BY purged_at, id
                """, arguments: [since]).map { row in
                let id: Int64 = row["id"]
                let targets = try String.fetchAll(db, sql: """
                    SELECT target FROM offers WHERE batch_id = ? AND state = 'withdrawn' AND reason LIKE 'batch purged: %' ORDER BY target
                    """, arguments: [id])
                return PurgeNotice(id: id, reason: row["failure"] ?? "purged", purgedAt: row["purged_at"], withdrawnFrom: targets)
            }
        }
    }

    /// Sealed batches kept past their retention at `now` (Unix seconds),
    /// oldest first. `retention` gives the seconds batches of a topic
    /// (named users when nil) are kept, or nil to keep them.
    public func expiredBatches(now: Int64, retention: (String?) -> Int?) throws(StoreError) -> [ExpiredBatch] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT id, topic, sealed_at FROM batches WHERE state = 'sealed' ORDER BY id")
                .compactMap { row -> ExpiredBatch? in
                    let topic: String? = row["topic"]
                    guard let seconds = retention(topic), let sealedAt: Int64 = row["sealed_at"],
                          sealedAt + Int64(seconds) <= now else { return nil }
                    return ExpiredBatch(id: row["id"], topic: topic, sealedAt: sealedAt, retention: seconds)
                }
        }
    }
}
