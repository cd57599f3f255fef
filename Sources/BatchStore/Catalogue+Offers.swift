import GRDB

extension Catalogue {
    /// Moves one target's offer to `state`, recording the step in the
    /// batch's history with `detail` (a reason, or the node a delivery came
    /// from). For `declined` and `failed`, `detail` is also kept as the reason.
    public func updateOffer(batch: Int64, target: String, state: OfferState, detail: String? = nil) throws(StoreError) {
        try write { db in
            guard var offer = try OfferRecord.fetchOne(db, key: ["batch_id": batch, "target": target]) else {
                throw StoreError.unknownOffer(batch: batch, target: target)
            }
            let now = Catalogue.now()
            offer.state = state.rawValue
            offer.reason = (state == .declined || state == .failed) ? detail : nil
            offer.updatedAt = now
            try offer.update(db)
            var event = OfferEventRecord(id: nil, batchId: batch, target: target, event: state.rawValue, detail: detail, at: now)
            try event.insert(db)
        }
    }

    /// Adds `bytes` to what `target` received of a batch from `source`
    /// (`server` or a peer target's name).
    public func addReceivedBytes(batch: Int64, target: String, source: String, bytes: Int64) throws(StoreError) {
        try write { db in
            guard try OfferRecord.exists(db, key: ["batch_id": batch, "target": target]) else {
                throw StoreError.unknownOffer(batch: batch, target: target)
            }
            try db.execute(sql: """
                INSERT INTO received_bytes (batch_id, target, source, bytes) VALUES (?, ?, ?, ?)
                ON CONFLICT (batch_id, target, source) DO UPDATE SET bytes = bytes + excluded.bytes
                """, arguments: [batch, target, source, bytes])
        }
    }

    /// A batch's delivery history after event `after` (0 for all), oldest first.
    public func offerEvents(batch: Int64, after: Int64 = 0) throws(StoreError) -> [OfferEvent] {
        try read { db in
            _ = try Catalogue.batchRecord(db, id: batch)
            return try OfferEventRecord
                .filter(Column("batch_id") == batch && Column("id") > after)
                .order(Column("id"))
                .fetchAll(db)
                .map {
                    OfferEvent(id: $0.id ?? 0, batch: $0.batchId, target: $0.target,
                               event: OfferState(rawValue: $0.event) ?? .failed, detail: $0.detail, at: $0.at)
                }
        }
    }

    /// The sealed batches still waiting on `target` (offers `pending`,
    /// `offered`, or `accepted` but not yet delivered), oldest first: what
    /// to send when it connects, so an interrupted delivery resumes.
    public func waitingOffers(target: String) throws(StoreError) -> [Int64] {
        try read { db in
            try Int64.fetchAll(db, sql: """
                SELECT o.batch_id FROM offers o JOIN batches b ON b.id = o.batch_id
                WHERE o.target = ? AND o.state IN ('pending', 'offered', 'accepted') AND b.state = 'sealed'
                ORDER BY o.batch_id
                """, arguments: [target])
        }
    }

    /// Records one transfer measurement between two nodes.
    public func addLinkSample(_ sample: LinkSample) throws(StoreError) {
        try write { db in
            var record = LinkSampleRecord(
                id: nil, fromNode: sample.from, toNode: sample.to,
                throughputBps: sample.throughputBps, rttMs: sample.rttMs, at: sample.at)
            try record.insert(db)
        }
    }

    /// The newest `limit` measurements of the link `from` → `to`, newest first.
    public func linkSamples(from: String, to: String, limit: Int = 20) throws(StoreError) -> [LinkSample] {
        try read { db in
            try LinkSampleRecord
                .filter(Column("from_node") == from && Column("to_node") == to)
                .order(Column("at").desc, Column("id").desc)
                .limit(limit)
                .fetchAll(db)
                .map { LinkSample(from: $0.fromNode, to: $0.toNode, throughputBps: $0.throughputBps, rttMs: $0.rttMs, at: $0.at) }
        }
    }

    static func failUnresolvedOffers(_ db: Database, batch: Int64, reason: String) throws {
        let now = now()
        let targets = try String.fetchAll(db, sql: """
            SELECT target FROM offers WHERE batch_id = ? AND state IN ('pending', 'offered', 'accepted') ORDER BY target
            """, arguments: [batch])
        for target in targets {
            try db.execute(sql: "UPDATE offers SET state = 'failed', reason = ?, updated_at = ? WHERE batch_id = ? AND target = ?",
                           arguments: [reason, now, batch, target])
            var event = OfferEventRecord(id: nil, batchId: batch, target: target, event: OfferState.failed.rawValue, detail: reason, at: now)
            try event.insert(db)
        }
    }
}
