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

    /// What each source dropped to each topic (to named users when nil) in
    /// batches sealed at or after `since`, as `droppedBytes` counts it, one
    /// entry per batch: what a server's quota ledger starts from.
    public func drops(since: Int64) throws(StoreError) -> [SealedDrop] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT b.source, b.topic, b.sealed_at, COALESCE(SUM(f.size), 0) AS bytes
                FROM batches b LEFT JOIN batch_files f ON f.batch_id = b.id
                WHERE b.state IN ('sealed', 'purged') AND b.sealed_at >= ? GROUP BY b.id ORDER BY b.sealed_at
                """, arguments: [since]).map { row in
                SealedDrop(source: row["source"], topic: row["topic"], sealedAt: row["sealed_at"], bytes: row["bytes"])
            }
        }
    }
}
