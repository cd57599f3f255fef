import GRDB

extension Catalogue {
    /// The state of `target`'s offer of batch `id`, or nil when the batch
    /// was never offered to it.
    public func offerState(batch id: Int64, target: String) throws(StoreError) -> OfferState? {
        try read { db in
            try String.fetchOne(db, sql: "SELECT state FROM offers WHERE batch_id = ? AND target = ?",
                                arguments: [id, target]).flatMap(OfferState.init(rawValue:))
        }
    }

    /// Records that the offer went out on the target's channel: `pending`
    /// becomes `offered`, with its history event. Any other state stays as
    /// it is (a resent offer after a reconnect is not a new event).
    public func markOffered(batch id: Int64, target: String) throws(StoreError) {
        try write { db in
            guard try String.fetchOne(db, sql: "SELECT state FROM offers WHERE batch_id = ? AND target = ?",
                                      arguments: [id, target]) == OfferState.pending.rawValue else { return }
            let now = Catalogue.now()
            try db.execute(sql: "UPDATE offers SET state = ?, updated_at = ? WHERE batch_id = ? AND target = ?",
                           arguments: [OfferState.offered.rawValue, now, id, target])
            var event = OfferEventRecord(id: nil, batchId: id, target: target, event: OfferState.offered.rawValue, detail: nil, at: now)
            try event.insert(db)
        }
    }
}
