import GRDB

/// What a crash leaves between a batch's upload and its seal, and what the
/// next start reads to recover: an open batch whose upload was recorded
/// finished is sealed again from staging; any other open batch failed.
extension Catalogue {
    /// Records that the open batch `id` finished its upload: its seal has
    /// begun, from `entries` in archive order, whose files its staging
    /// folder keeps until the seal or failure is recorded.
    public func finishUpload(id: Int64, entries: [StagedEntry]) throws(StoreError) {
        try write { db in
            var batch = try Catalogue.batchRecord(db, id: id)
            let state = BatchState(rawValue: batch.state) ?? .failed
            guard state == .open else { throw StoreError.wrongBatchState(id: id, state: state, operation: "finish the upload of") }
            batch.uploadFinishedAt = Catalogue.now()
            try batch.update(db)
            try StagedEntryRecord.filter(Column("batch_id") == id).deleteAll(db)
            for (index, entry) in entries.enumerated() {
                try StagedEntryRecord(batchId: id, seq: index, entry: entry).insert(db)
            }
        }
    }

    /// Open batches whose upload was recorded finished, oldest first, with
    /// their entries: at server start, those a crash stopped mid-seal.
    public func finishedUploads() throws(StoreError) -> [FinishedUpload] {
        try read { db in
            try BatchRecord.filter(Column("state") == BatchState.open.rawValue && Column("upload_finished_at") != nil)
                .order(Column("id")).fetchAll(db).map { batch in
                    let id = batch.id ?? 0
                    let entries = try StagedEntryRecord.filter(Column("batch_id") == id).order(Column("seq")).fetchAll(db)
                    return FinishedUpload(id: id, source: batch.source, topic: batch.topic, entries: entries.map(\.entry))
                }
        }
    }

    /// Marks every open batch whose upload was not recorded finished failed
    /// and returns their ids. At server start, such a batch is one whose
    /// channel a crash cut off, or whose pre-seal hook it interrupted.
    public func failUnfinishedUploads(reason: String) throws(StoreError) -> [Int64] {
        try write { db in
            let open = "state = 'open' AND upload_finished_at IS NULL"
            let ids = try Int64.fetchAll(db, sql: "SELECT id FROM batches WHERE \(open) ORDER BY id")
            try db.execute(sql: "UPDATE batches SET state = 'failed', failure = ? WHERE \(open)", arguments: [reason])
            return ids
        }
    }
}
