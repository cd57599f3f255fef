import BatchCore
import Foundation
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

    /// Records that the offer went out on the target's channel: the
    /// lifecycle's `sent`, which moves `pending` to `offered` with its
    /// history event and leaves any other state as it is (a resent offer
    /// after a reconnect is not a new event).
    public func markOffered(batch id: Int64, target: String) throws(StoreError) {
        try markOffered([OfferKey(batch: id, target: target)])
    }

    /// Records many offers as sent in one transaction: one commit for a
    /// batch offered to thousands of subscribers, not one each. The offers
    /// of each batch are read at once and grouped by where they stand; the
    /// lifecycle is asked once per state and its answer recorded for the
    /// whole group, so 10,000 offers cost a handful of statements.
    public func markOffered(_ offers: [OfferKey]) throws(StoreError) {
        guard !offers.isEmpty else { return }
        try write { db in
            for (batch, keys) in Dictionary(grouping: offers, by: \.batch).sorted(by: { $0.key < $1.key }) {
                // An offer queued twice (two channels of one target) counts once.
                var seen = Set<String>()
                let targets = keys.map(\.target).filter { seen.insert($0).inserted }
                let names = String(decoding: try JSONEncoder().encode(targets), as: UTF8.self)
                let rows = try Row.fetchAll(db, sql: """
                    SELECT j.value AS target, o.state AS state
                    FROM json_each(?) j LEFT JOIN offers o ON o.batch_id = ? AND o.target = j.value
                    ORDER BY j.key
                    """, arguments: [names, batch])
                var order: [String?] = []
                var groups: [String?: [String]] = [:]
                for row in rows {
                    let state: String? = row["state"]
                    if groups[state] == nil { order.append(state) }
                    groups[state, default: []].append(row["target"])
                }
                for state in order {
                    let outcome = OfferLifecycle.apply(.sent, to: state.flatMap(OfferState.init(rawValue:)))
                    try Catalogue.perform(outcome.actions, db, batch: batch, targets: groups[state] ?? [])
                }
            }
        }
    }
}

extension Catalogue {
    /// The user's keys that are not revoked, as "TYPE BASE64" lines: what
    /// the server vouches for when it grants a peer access.
    public func activeKeyLines(user: String) throws(StoreError) -> [String] {
        try read { db in
            try String.fetchAll(db, sql: """
                SELECT k.type || ' ' || k.base64 FROM keys k JOIN users u ON u.id = k.user_id
                WHERE u.name = ? AND k.revoked_at IS NULL ORDER BY k.id
                """, arguments: [user])
        }
    }

    /// The targets that accepted batch `id`, in the order they accepted,
    /// with their offer's current state.
    public func acceptedTargets(batch id: Int64) throws(StoreError) -> [(target: String, state: OfferState)] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT o.target AS target, o.state AS state, MIN(e.id) AS first
                FROM offers o JOIN offer_events e ON e.batch_id = o.batch_id AND e.target = o.target AND e.event = 'accepted'
                WHERE o.batch_id = ? GROUP BY o.target ORDER BY first
                """, arguments: [id])
            return rows.compactMap { row in
                let target: String = row["target"]
                let state: String = row["state"]
                return OfferState(rawValue: state).map { (target, $0) }
            }
        }
    }
}
