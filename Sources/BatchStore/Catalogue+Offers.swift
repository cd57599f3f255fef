import BatchCore
import Foundation
import GRDB

extension Catalogue {
    /// Applies `event` to one target's offer of `batch` in one
    /// transaction: reads where the offer stands, asks `OfferLifecycle`,
    /// and records what it says (the new state with its history event, the
    /// bytes received from peers). Two channels of one target answering at
    /// once cannot both move it. Returns the outcome, whose other actions
    /// are the caller's to perform.
    public func applyOffer(_ event: OfferLifecycle.Event, batch: Int64, target: String) throws(StoreError) -> OfferLifecycle.Outcome {
        try write { db in
            let state = try String.fetchOne(db, sql: "SELECT state FROM offers WHERE batch_id = ? AND target = ?",
                                            arguments: [batch, target]).flatMap(OfferState.init(rawValue:))
            let outcome = OfferLifecycle.apply(event, to: state)
            try Catalogue.perform(outcome.actions, db, batch: batch, target: target)
            return outcome
        }
    }

    /// Moves one target's offer to `state` whatever it was, recording the
    /// step in the batch's history with `detail`. For tests and repairs:
    /// the server moves offers only through `applyOffer`.
    public func updateOffer(batch: Int64, target: String, state: OfferState, detail: String? = nil) throws(StoreError) {
        try write { db in
            guard try OfferRecord.exists(db, key: ["batch_id": batch, "target": target]) else {
                throw StoreError.unknownOffer(batch: batch, target: target)
            }
            try Catalogue.perform([.record(state, detail: detail)], db, batch: batch, target: target)
        }
    }

    /// Records the catalogue's part of an outcome: states and received bytes.
    static func perform(_ actions: [OfferLifecycle.Action], _ db: Database, batch: Int64, target: String) throws {
        try perform(actions, db, batch: batch, targets: [target])
    }

    /// Records the same outcome for several targets of `batch` at once,
    /// whose offers stood in the same state, so the lifecycle said the same
    /// for each: one statement per table, whatever their number (a seal
    /// offered to 10,000 subscribers is recorded in three).
    static func perform(_ actions: [OfferLifecycle.Action], _ db: Database, batch: Int64, targets: [String]) throws {
        guard !targets.isEmpty else { return }
        let names = String(decoding: try JSONEncoder().encode(targets), as: UTF8.self)
        for action in actions {
            switch action {
            case .record(let state, let detail):
                let now = Catalogue.now()
                let reason = (state == .declined || state == .failed || state == .withdrawn) ? detail : nil
                if state == .pending {
                    try db.cachedStatement(sql: """
                        INSERT INTO offers (batch_id, target, state, updated_at)
                        SELECT ?, value, 'pending', ? FROM json_each(?) ORDER BY key
                        """).execute(arguments: [batch, now, names])
                } else {
                    try db.cachedStatement(sql: """
                        UPDATE offers SET state = ?, reason = ?, updated_at = ?
                        WHERE batch_id = ? AND target IN (SELECT value FROM json_each(?))
                        """).execute(arguments: [state.rawValue, reason, now, batch, names])
                }
                try db.cachedStatement(sql: """
                    INSERT INTO offer_events (batch_id, target, event, detail, at)
                    SELECT ?, value, ?, ?, ? FROM json_each(?) ORDER BY key
                    """).execute(arguments: [batch, state.rawValue, detail, now, names])
            case .countReceived(let sources):
                for target in targets {
                    for (source, bytes) in sources.sorted(by: { $0.key < $1.key }) {
                        try addReceived(db, batch: batch, target: target, source: source, bytes: bytes)
                    }
                }
            case .sendOffer, .sendWithdrawn, .plan, .serve, .forget, .refuse:
                break
            }
        }
    }

    private static func addReceived(_ db: Database, batch: Int64, target: String, source: String, bytes: Int64) throws {
        try db.execute(sql: """
            INSERT INTO received_bytes (batch_id, target, source, bytes) VALUES (?, ?, ?, ?)
            ON CONFLICT (batch_id, target, source) DO UPDATE SET bytes = bytes + excluded.bytes
            """, arguments: [batch, target, source, bytes])
    }

    /// Adds `bytes` to what `target` received of a batch from `source`
    /// (`server` or a peer target's name).
    public func addReceivedBytes(batch: Int64, target: String, source: String, bytes: Int64) throws(StoreError) {
        try write { db in
            guard try OfferRecord.exists(db, key: ["batch_id": batch, "target": target]) else {
                throw StoreError.unknownOffer(batch: batch, target: target)
            }
            try Catalogue.addReceived(db, batch: batch, target: target, source: source, bytes: bytes)
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

    /// Applies `event` (a failure or a withdrawal) to every unresolved
    /// offer of a batch, through `OfferLifecycle` like any other event.
    static func resolveOffers(_ db: Database, batch: Int64, on event: OfferLifecycle.Event) throws {
        let rows = try Row.fetchAll(db, sql: """
            SELECT target, state FROM offers WHERE batch_id = ? AND state IN ('pending', 'offered', 'accepted') ORDER BY target
            """, arguments: [batch])
        for row in rows {
            let target: String = row["target"]
            let state = OfferState(rawValue: row["state"])
            try perform(OfferLifecycle.apply(event, to: state).actions, db, batch: batch, target: target)
        }
    }
}
