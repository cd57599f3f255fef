import GRDB

extension Catalogue {
    /// The bytes of files `source` dropped to `topic` (to named users when
    /// nil) in batches sealed at or after `since`, Unix seconds. Purged
    /// batches count: their bytes were taken. Failed ones do not.
    public func droppedBytes(source: String, topic: String?, since: Int64) throws(StoreError) -> Int64 {
        try read { db in
            try Int64.fetchOne(db, sql: """
                SELECT COALESCE(SUM(f.size), 0) FROM batch_files f JOIN batches b ON b.id = f.batch_id
                WHERE b.source = ? AND b.topic IS ? AND b.state IN ('sealed', 'purged') AND b.sealed_at >= ?
                """, arguments: [source, topic, since]) ?? 0
        }
    }
}
