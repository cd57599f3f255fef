import BatchCore
import GRDB

extension Catalogue {
    /// Counts of users by role, topics, batches by state, sealed bytes and
    /// offers by state, read from one snapshot.
    public func stats() throws(StoreError) -> Stats {
        try read { db in
            func counts(_ sql: String, keys: [String]) throws -> [String: Int] {
                var result = Dictionary(uniqueKeysWithValues: keys.map { ($0, 0) })
                for row in try Row.fetchAll(db, sql: sql) {
                    result[row[0]] = row[1]
                }
                return result
            }
            return Stats(
                users: try counts("SELECT role, COUNT(*) FROM users GROUP BY role", keys: Role.allCases.map(\.rawValue)),
                topics: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM topics") ?? 0,
                batches: try counts("SELECT state, COUNT(*) FROM batches GROUP BY state", keys: BatchState.allCases.map(\.rawValue)),
                sealedBytes: try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(size), 0) FROM batches WHERE state = 'sealed'") ?? 0,
                offers: try counts("SELECT state, COUNT(*) FROM offers GROUP BY state", keys: OfferState.allCases.map(\.rawValue)))
        }
    }
}
