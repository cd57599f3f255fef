import BatchCore
import Foundation
import GRDB

extension Catalogue {
    /// Records a new open batch from `source` to `destination` and returns
    /// its id: `id` when given (a server hands out ids itself, from
    /// `lastBatchID()` on, so that opening a batch need not wait for this
    /// write), the next free one otherwise. The destination must resolve
    /// now (the topic exists, the named users are targets), so a bad drop
    /// is refused before any upload.
    public func openBatch(id: Int64? = nil, source: String, destination: Destination) throws(StoreError) -> Int64 {
        try write { db in
            _ = try Catalogue.recipients(db, of: destination)
            var batch = BatchRecord(
                id: id, source: source, destination: destination.component, topic: destination.topicName,
                state: BatchState.open.rawValue, size: nil, sha256: nil, archive: nil, pieceSize: nil,
                createdAt: Catalogue.now(), sealedAt: nil, failure: nil, purgedAt: nil,
                uploadFinishedAt: nil)
            try batch.insert(db)
            return batch.id ?? 0
        }
    }

    /// The highest batch id ever given out, deleted batches included: ids
    /// above it are free.
    public func lastBatchID() throws(StoreError) -> Int64 {
        try read { db in
            let used = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) FROM batches") ?? 0
            let given = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = 'batches'") ?? 0
            return max(used, given)
        }
    }

    /// Seals an open batch in one transaction: records its archive, pieces
    /// and files, and a `pending` offer (with its history event) for every
    /// recipient its destination resolves to now. Returns those recipients.
    @discardableResult
    public func sealBatch(id: Int64, archivePath: String, summary: SealInfo, files: [FileEntry]) throws(StoreError) -> [String] {
        try write { db in
            var batch = try Catalogue.batchRecord(db, id: id, expecting: .open, to: "seal")
            let destination: Destination
            do {
                destination = try Destination(component: batch.destination)
            } catch {
                throw StoreError.database("batch \(id) has a malformed destination '\(batch.destination)'")
            }
            let recipients = try Catalogue.recipients(db, of: destination)
            let now = Catalogue.now()
            batch.state = BatchState.sealed.rawValue
            batch.size = summary.size
            batch.sha256 = summary.sha256
            batch.archive = archivePath
            batch.pieceSize = summary.pieceSize
            batch.sealedAt = now
            try batch.update(db)
            try StagedEntryRecord.filter(Column("batch_id") == id).deleteAll(db)
            for (index, hash) in summary.pieces.enumerated() {
                try PieceRecord(batchId: id, idx: index, sha256: hash).insert(db)
            }
            for (index, file) in files.enumerated() {
                try BatchFileRecord(batchId: id, seq: index, path: file.path, size: file.size, mode: file.mode, mtime: file.mtime).insert(db)
            }
            // What the lifecycle makes of a new offer, for every recipient at
            // once: one statement per table, whatever their number (a topic
            // may have thousands of subscribers, and a statement run per row
            // cost 95 ms of the seal with 10,000 of them).
            try Catalogue.perform(OfferLifecycle.apply(.sealed, to: nil).actions, db, batch: id, targets: recipients)
            return recipients
        }
    }

    /// Marks an open or sealed batch failed with a reason; its unresolved
    /// offers fail with the same reason.
    public func failBatch(id: Int64, reason: String) throws(StoreError) {
        try write { db in
            var batch = try Catalogue.batchRecord(db, id: id)
            let state = BatchState(rawValue: batch.state) ?? .failed
            guard state == .open || state == .sealed else {
                throw StoreError.wrongBatchState(id: id, state: state, operation: "fail")
            }
            batch.state = BatchState.failed.rawValue
            batch.failure = reason
            try batch.update(db)
            try StagedEntryRecord.filter(Column("batch_id") == id).deleteAll(db)
            try Catalogue.resolveOffers(db, batch: id, on: .fail(reason: reason))
        }
    }

    /// Deletes an open batch that received no file, leaving no trace.
    public func discardBatch(id: Int64) throws(StoreError) {
        try write { db in
            let batch = try Catalogue.batchRecord(db, id: id, expecting: .open, to: "discard")
            _ = try batch.delete(db)
        }
    }

    /// Batches, newest first, optionally only those dropped by `source`.
    public func batches(source: String? = nil) throws(StoreError) -> [BatchSummary] {
        try read { db in
            var request = BatchRecord.order(Column("id").desc)
            if let source { request = request.filter(Column("source") == source) }
            return try request.fetchAll(db).map { batch in
                let id = batch.id ?? 0
                let fileCount = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM batch_files WHERE batch_id = ?", arguments: [id]) ?? 0
                let targets = try OfferRecord.filter(Column("batch_id") == id).order(Column("target")).fetchAll(db).map {
                    BatchSummary.Target(user: $0.target, state: OfferState(rawValue: $0.state) ?? .failed)
                }
                return BatchSummary(
                    id: id, source: batch.source, destination: batch.destination,
                    state: BatchState(rawValue: batch.state) ?? .failed, size: batch.size,
                    fileCount: fileCount, targets: targets, createdAt: batch.createdAt, sealedAt: batch.sealedAt)
            }
        }
    }

    /// Everything known about one batch, or nil if no batch has this id.
    /// With `targets` false its `targets` are left empty, for callers that
    /// need only the batch itself (an offer): a topic may have thousands of
    /// subscribers, and reading all their offers is then most of the work.
    public func batch(id: Int64, targets withTargets: Bool = true) throws(StoreError) -> BatchDetail? {
        try read { db in
            guard let batch = try BatchRecord.fetchOne(db, key: id) else { return nil }
            let files = try BatchFileRecord.filter(Column("batch_id") == id).order(Column("seq")).fetchAll(db).map {
                FileEntry(path: $0.path, size: $0.size, mode: $0.mode, mtime: $0.mtime)
            }
            let pieceCount = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM pieces WHERE batch_id = ?", arguments: [id]) ?? 0
            var targets: [BatchDetail.Target] = []
            if withTargets {
                var received: [String: [String: Int64]] = [:]
                for row in try ReceivedBytesRecord.filter(Column("batch_id") == id).fetchAll(db) {
                    received[row.target, default: [:]][row.source] = row.bytes
                }
                targets = try OfferRecord.filter(Column("batch_id") == id).order(Column("target")).fetchAll(db).map {
                    BatchDetail.Target(
                        user: $0.target, state: OfferState(rawValue: $0.state) ?? .failed,
                        reason: $0.reason, receivedFrom: received[$0.target] ?? [:])
                }
            }
            return BatchDetail(
                id: id, topic: batch.topic, destination: batch.destination, source: batch.source,
                state: BatchState(rawValue: batch.state) ?? .failed, failure: batch.failure,
                size: batch.size, sha256: batch.sha256, archive: batch.archive, pieceSize: batch.pieceSize,
                pieceCount: pieceCount, files: files, targets: targets,
                createdAt: batch.createdAt, sealedAt: batch.sealedAt, purgedAt: batch.purgedAt)
        }
    }

    /// The piece hashes of a batch, in order.
    public func pieces(batch id: Int64) throws(StoreError) -> [String] {
        try read { db in
            _ = try Catalogue.batchRecord(db, id: id)
            return try String.fetchAll(db, sql: "SELECT sha256 FROM pieces WHERE batch_id = ? ORDER BY idx", arguments: [id])
        }
    }

    /// The hashes of pieces `indices` of batch `id`, in order: what a
    /// `pieces` request is sent.
    public func pieces(batch id: Int64, indices: ClosedRange<Int>) throws(StoreError) -> [String] {
        try read { db in
            _ = try Catalogue.batchRecord(db, id: id)
            return try String.fetchAll(
                db, sql: "SELECT sha256 FROM pieces WHERE batch_id = ? AND idx BETWEEN ? AND ? ORDER BY idx",
                arguments: [id, indices.lowerBound, indices.upperBound])
        }
    }

    static func batchRecord(_ db: Database, id: Int64) throws -> BatchRecord {
        guard let batch = try BatchRecord.fetchOne(db, key: id) else { throw StoreError.unknownBatch(id) }
        return batch
    }

    private static func batchRecord(_ db: Database, id: Int64, expecting expected: BatchState, to operation: String) throws -> BatchRecord {
        let batch = try batchRecord(db, id: id)
        let state = BatchState(rawValue: batch.state) ?? .failed
        guard state == expected else { throw StoreError.wrongBatchState(id: id, state: state, operation: operation) }
        return batch
    }
}
