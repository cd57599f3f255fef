import BatchCore
import GRDB

extension Catalogue {
    /// Counts over the whole catalogue from one snapshot: users by role,
    /// topics, batches by state, bytes held and dropped, offers by state,
    /// deliveries, the relay share and each target's state. `now` (Unix
    /// seconds, default the current time) ends the last-24-hours window.
    public func stats(now: Int64? = nil) throws(StoreError) -> Stats {
        let now = now ?? Catalogue.now()
        return try read { db in
            func counts(_ sql: String, keys: [String]) throws -> [String: Int] {
                var result = Dictionary(uniqueKeysWithValues: keys.map { ($0, 0) })
                for row in try Row.fetchAll(db, sql: sql) {
                    result[row[0]] = row[1]
                }
                return result
            }
            func bytes(_ sql: String, _ arguments: StatementArguments = []) throws -> Int64 {
                try Int64.fetchOne(db, sql: sql, arguments: arguments) ?? 0
            }
            let offerStates = OfferState.allCases.map(\.rawValue)
            var relay = RelayShare(serverBytes: 0, peerBytes: 0)
            // Only offers that ended delivered: bytes sent to a target that
            // then failed or declined relayed nothing.
            for row in try Row.fetchAll(db, sql: """
                SELECT r.source = 'server', SUM(r.bytes) FROM received_bytes r
                JOIN offers o ON o.batch_id = r.batch_id AND o.target = r.target
                WHERE o.state = 'delivered' GROUP BY r.source = 'server'
                """) {
                let fromServer: Bool = row[0]
                if fromServer { relay.serverBytes = row[1] } else { relay.peerBytes = row[1] }
            }
            return Stats(
                users: try counts("SELECT role, COUNT(*) FROM users GROUP BY role", keys: Role.allCases.map(\.rawValue)),
                topics: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM topics") ?? 0,
                batches: try counts("SELECT state, COUNT(*) FROM batches GROUP BY state", keys: BatchState.allCases.map(\.rawValue)),
                sealedBytes: try bytes("SELECT COALESCE(SUM(size), 0) FROM batches WHERE state = 'sealed'"),
                droppedBytes: try bytes("SELECT COALESCE(SUM(size), 0) FROM batches WHERE sealed_at IS NOT NULL"),
                droppedBytesLastDay: try bytes("SELECT COALESCE(SUM(size), 0) FROM batches WHERE sealed_at > ?", [now - 86_400]),
                offers: try counts("SELECT state, COUNT(*) FROM offers GROUP BY state", keys: offerStates),
                deliveries: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM offers WHERE state = 'delivered'") ?? 0,
                relay: relay,
                targets: try targetStats(db, offerStates: offerStates))
        }
    }

    /// Every target user's figures, by name, from a handful of grouped
    /// queries rather than a few per target.
    private func targetStats(_ db: Database, offerStates: [String]) throws -> [TargetStats] {
        var offers: [String: [String: Int]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT target, state, COUNT(*) FROM offers GROUP BY target, state") {
            offers[row[0], default: [:]][row[1]] = row[2]
        }
        var received: [String: Int64] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT target, SUM(bytes) FROM received_bytes GROUP BY target") {
            received[row[0]] = row[1]
        }
        // A delivered offer never changes state again, so its update time
        // is when the delivery completed.
        var lastDelivery: [String: Int64] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT target, MAX(updated_at) FROM offers WHERE state = 'delivered' GROUP BY target") {
            lastDelivery[row[0]] = row[1]
        }
        let zero = Dictionary(uniqueKeysWithValues: offerStates.map { ($0, 0) })
        return try Row.fetchAll(db, sql: """
            SELECT u.name, (SELECT COUNT(*) FROM subscriptions s WHERE s.user_id = u.id)
            FROM users u WHERE u.role = 'target' ORDER BY u.name
            """).map { row in
            let user: String = row[0]
            return TargetStats(
                user: user, topics: row[1], offers: zero.merging(offers[user] ?? [:]) { $1 },
                receivedBytes: received[user] ?? 0, lastDeliveryAt: lastDelivery[user])
        }
    }
}
