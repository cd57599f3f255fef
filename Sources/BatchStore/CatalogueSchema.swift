import GRDB

/// The catalogue's schema, one named migration per version. A migration,
/// once released, never changes: a new schema step is a new version.
enum CatalogueSchema {
    /// The migrator that brings any earlier catalogue up to date.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1", migrate: v1)
        migrator.registerMigration("v2", migrate: v2)
        migrator.registerMigration("v3", migrate: v3)
        migrator.registerMigration("v4", migrate: v4)
        migrator.registerMigration("v5", migrate: v5)
        return migrator
    }

    /// The first schema. Times are Unix seconds (INTEGER) throughout.
    /// Batches and offers name users by text, not by foreign key, so a
    /// batch's history survives the removal of its source or targets.
    private static func v1(_ db: Database) throws {
        try db.create(table: "users") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("name", .text).notNull().unique()
            t.column("role", .text).notNull().check { ["source", "target", "admin"].contains($0) }
            t.column("created_at", .integer).notNull()
        }
        try db.create(table: "keys") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("user_id", .integer).notNull().indexed().references("users", onDelete: .cascade)
            t.column("type", .text).notNull()
            t.column("base64", .text).notNull().unique()
            t.column("comment", .text).notNull()
            t.column("fingerprint", .text).notNull().indexed()
            t.column("bits", .integer).notNull()
            t.column("created_at", .integer).notNull()
            t.column("revoked_at", .integer)
        }
        try db.create(table: "topics") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("name", .text).notNull().unique()
            t.column("created_at", .integer).notNull()
        }
        try db.create(table: "subscriptions") { t in
            t.column("topic_id", .integer).notNull().references("topics", onDelete: .cascade)
            t.column("user_id", .integer).notNull().indexed().references("users", onDelete: .cascade)
            t.primaryKey(["topic_id", "user_id"])
        }
        try db.create(table: "batches") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("source", .text).notNull().indexed()
            t.column("destination", .text).notNull()
            t.column("topic", .text)
            t.column("state", .text).notNull().indexed()
                .check { ["open", "sealed", "failed", "purged"].contains($0) }
            t.column("size", .integer)
            t.column("sha256", .text)
            t.column("archive", .text)
            t.column("piece_size", .integer)
            t.column("created_at", .integer).notNull()
            t.column("sealed_at", .integer)
            t.column("failure", .text)
        }
        try db.create(table: "batch_files") { t in
            t.column("batch_id", .integer).notNull().references("batches", onDelete: .cascade)
            t.column("seq", .integer).notNull()
            t.column("path", .text).notNull()
            t.column("size", .integer).notNull()
            t.column("mode", .integer).notNull()
            t.column("mtime", .integer).notNull()
            t.primaryKey(["batch_id", "seq"])
        }
        try db.create(table: "pieces") { t in
            t.column("batch_id", .integer).notNull().references("batches", onDelete: .cascade)
            t.column("idx", .integer).notNull()
            t.column("sha256", .text).notNull()
            t.primaryKey(["batch_id", "idx"])
        }
        let offerStates = ["pending", "offered", "accepted", "declined", "delivered", "failed"]
        try db.create(table: "offers") { t in
            t.column("batch_id", .integer).notNull().references("batches", onDelete: .cascade)
            t.column("target", .text).notNull().indexed()
            t.column("state", .text).notNull().check { offerStates.contains($0) }
            t.column("reason", .text)
            t.column("updated_at", .integer).notNull()
            t.primaryKey(["batch_id", "target"])
        }
        try db.create(table: "offer_events") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("batch_id", .integer).notNull().indexed().references("batches", onDelete: .cascade)
            t.column("target", .text).notNull()
            t.column("event", .text).notNull().check { offerStates.contains($0) }
            t.column("detail", .text)
            t.column("at", .integer).notNull()
        }
        try db.create(table: "received_bytes") { t in
            t.column("batch_id", .integer).notNull().references("batches", onDelete: .cascade)
            t.column("target", .text).notNull()
            t.column("source", .text).notNull()
            t.column("bytes", .integer).notNull()
            t.primaryKey(["batch_id", "target", "source"])
        }
        try db.create(table: "link_samples") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("from_node", .text).notNull()
            t.column("to_node", .text).notNull()
            t.column("throughput_bps", .double).notNull()
            t.column("rtt_ms", .double).notNull()
            t.column("at", .integer).notNull()
        }
        try db.create(index: "link_samples_on_link", on: "link_samples", columns: ["from_node", "to_node", "at"])
    }

    /// When a batch was purged; its `failure` says why (an admin, or
    /// the topic's retention).
    private static func v2(_ db: Database) throws {
        try db.alter(table: "batches") { t in
            t.add(column: "purged_at", .integer)
        }
    }

    /// When a batch's upload finished and its seal began, and the entries
    /// its archive is built from, each file as staging holds it: what a
    /// restart needs to seal a batch a crash interrupted. The entries are
    /// deleted once the batch is sealed or failed.
    private static func v3(_ db: Database) throws {
        try db.alter(table: "batches") { t in
            t.add(column: "upload_finished_at", .integer)
        }
        try db.create(table: "staged_entries") { t in
            t.column("batch_id", .integer).notNull().references("batches", onDelete: .cascade)
            t.column("seq", .integer).notNull()
            t.column("path", .text).notNull()
            // NULL for a folder.
            t.column("staging_name", .text)
            t.column("size", .integer)
            t.column("mode", .integer).notNull()
            t.column("mtime", .integer).notNull()
            t.primaryKey(["batch_id", "seq"])
            t.check(sql: "(staging_name IS NULL) = (size IS NULL)")
        }
    }

    /// Offers get a state of their own for a batch purged before they
    /// resolved, `withdrawn` (they read `failed` before). SQLite cannot
    /// change a CHECK constraint, so both tables are built again.
    private static func v4(_ db: Database) throws {
        let offerStates = ["pending", "offered", "accepted", "declined", "delivered", "failed", "withdrawn"]
        try db.create(table: "offers_v4") { t in
            t.column("batch_id", .integer).notNull().references("batches", onDelete: .cascade)
            t.column("target", .text).notNull()
            t.column("state", .text).notNull().check { offerStates.contains($0) }
            t.column("reason", .text)
            t.column("updated_at", .integer).notNull()
            t.primaryKey(["batch_id", "target"])
        }
        try db.execute(sql: "INSERT INTO offers_v4 SELECT batch_id, target, state, reason, updated_at FROM offers")
        // What a purge ended read `failed` before.
        try db.execute(sql: "UPDATE offers_v4 SET state = 'withdrawn' WHERE state = 'failed' AND reason LIKE 'batch purged: %'")
        try db.drop(table: "offers")
        try db.rename(table: "offers_v4", to: "offers")
        try db.create(index: "offers_on_target", on: "offers", columns: ["target"])
        try db.create(table: "offer_events_v4") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("batch_id", .integer).notNull().references("batches", onDelete: .cascade)
            t.column("target", .text).notNull()
            t.column("event", .text).notNull().check { offerStates.contains($0) }
            t.column("detail", .text)
            t.column("at", .integer).notNull()
        }
        try db.execute(sql: "INSERT INTO offer_events_v4 SELECT id, batch_id, target, event, detail, at FROM offer_events")
        try db.drop(table: "offer_events")
        try db.rename(table: "offer_events_v4", to: "offer_events")
        try db.create(index: "offer_events_on_batch_id", on: "offer_events", columns: ["batch_id"])
    }

    /// One number that every change to users, keys, topics or
    /// subscriptions raises, by trigger, whichever process makes it: what
    /// tells a server its in-memory view of them is stale.
    private static func v5(_ db: Database) throws {
        try db.execute(sql: "CREATE TABLE directory_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)")
        try db.execute(sql: "INSERT INTO directory_version VALUES (1, 0)")
        for table in ["users", "keys", "topics", "subscriptions"] {
            for change in ["INSERT", "UPDATE", "DELETE"] {
                try db.execute(sql: """
                    CREATE TRIGGER \(table)_\(change.lowercased())_changes_directory AFTER \(change) ON \(table)
                    BEGIN UPDATE directory_version SET version = version + 1; END
                    """)
            }
        }
    }
}
