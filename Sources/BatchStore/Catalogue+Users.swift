import BatchCore
import GRDB

extension Catalogue {
    /// Adds a user with its keys in one transaction.
    public func addUser(name: String, role: Role, keys: [NewKey]) throws(StoreError) {
        try addUsers([(name: name, keys: keys)], role: role)
    }

    /// Adds several users of one role, each with its keys, in one
    /// transaction: all are added, or none (a bad or taken name, or a key
    /// already registered, leaves the catalogue as it was).
    public func addUsers(_ users: [(name: String, keys: [NewKey])], role: Role) throws(StoreError) {
        if let bad = users.first(where: { !Destination.isValidName($0.name) }) { throw .invalidName(bad.name) }
        try write { db in
            let createdAt = Catalogue.now()
            for (name, keys) in users {
                if try Catalogue.userRecord(db, name: name) != nil { throw StoreError.userExists(name) }
                var user = UserRecord(id: nil, name: name, role: role.rawValue, createdAt: createdAt)
                try user.insert(db)
                for key in keys {
                    try Catalogue.insertKey(db, key, userID: user.id ?? 0)
                }
            }
        }
    }

    /// Removes a user with its keys and subscriptions. Its batches and
    /// offers stay in the history under its name.
    public func removeUser(name: String) throws(StoreError) {
        try write { db in
            guard let user = try Catalogue.userRecord(db, name: name) else { throw StoreError.unknownUser(name) }
            _ = try user.delete(db)
        }
    }

    /// All users, sorted by name.
    public func users() throws(StoreError) -> [UserInfo] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT u.name, u.role, u.created_at,
                       (SELECT COUNT(*) FROM keys k WHERE k.user_id = u.id AND k.revoked_at IS NULL) AS key_count,
                       (SELECT group_concat(name, char(10)) FROM
                           (SELECT t.name FROM subscriptions s JOIN topics t ON t.id = s.topic_id
                            WHERE s.user_id = u.id ORDER BY t.name)) AS topic_names
                FROM users u ORDER BY u.name
                """)
            return rows.map { row in
                let topics: String? = row["topic_names"]
                return UserInfo(
                    name: row["name"],
                    role: Role(rawValue: row["role"]) ?? .source,
                    keys: row["key_count"],
                    topics: topics.map { $0.split(separator: "\n").map(String.init) } ?? [],
                    createdAt: row["created_at"])
            }
        }
    }

    /// Registers one more key for an existing user.
    public func addKey(user: String, key: NewKey) throws(StoreError) {
        try addKeys(user: user, keys: [key])
    }

    /// Registers more keys for an existing user in one transaction: all
    /// are added, or none.
    public func addKeys(user: String, keys: [NewKey]) throws(StoreError) {
        try write { db in
            guard let record = try Catalogue.userRecord(db, name: user) else { throw StoreError.unknownUser(user) }
            for key in keys {
                try Catalogue.insertKey(db, key, userID: record.id ?? 0)
            }
        }
    }

    /// The keys of `user`, or of every user when nil, revoked ones included,
    /// sorted by user then id.
    public func keys(user: String?) throws(StoreError) -> [KeyInfo] {
        try read { db in
            if let user, try Catalogue.userRecord(db, name: user) == nil { throw StoreError.unknownUser(user) }
            let rows = try Row.fetchAll(db, sql: """
                SELECT k.*, u.name AS user_name FROM keys k JOIN users u ON u.id = k.user_id
                WHERE ? IS NULL OR u.name = ? ORDER BY u.name, k.id
                """, arguments: [user, user])
            return rows.map(Catalogue.keyInfo)
        }
    }

    /// Revokes the key with this fingerprint (`SHA256:…`) or catalogue id,
    /// and returns it as it is now.
    @discardableResult
    public func revokeKey(_ fingerprintOrID: String) throws(StoreError) -> KeyInfo {
        try write { db in
            let sql = "SELECT k.*, u.name AS user_name FROM keys k JOIN users u ON u.id = k.user_id "
            var row = try Row.fetchOne(db, sql: sql + "WHERE k.fingerprint = ?", arguments: [fingerprintOrID])
            if row == nil, let id = Int64(fingerprintOrID) {
                row = try Row.fetchOne(db, sql: sql + "WHERE k.id = ?", arguments: [id])
            }
            guard let row else { throw StoreError.unknownKey(fingerprintOrID) }
            var key = Catalogue.keyInfo(row)
            guard key.revokedAt == nil else { throw StoreError.keyAlreadyRevoked(key.fingerprint) }
            let now = Catalogue.now()
            try db.execute(sql: "UPDATE keys SET revoked_at = ? WHERE id = ?", arguments: [now, key.id])
            key.revokedAt = now
            return key
        }
    }

    static func userRecord(_ db: Database, name: String) throws -> UserRecord? {
        try UserRecord.filter(Column("name") == name).fetchOne(db)
    }

    private static func insertKey(_ db: Database, _ key: NewKey, userID: Int64) throws {
        if let owner = try String.fetchOne(db, sql: """
            SELECT u.name FROM keys k JOIN users u ON u.id = k.user_id WHERE k.base64 = ?
            """, arguments: [key.base64]) {
            throw StoreError.keyExists(fingerprint: key.fingerprint, user: owner)
        }
        var record = KeyRecord(
            id: nil, userId: userID, type: key.type, base64: key.base64, comment: key.comment,
            fingerprint: key.fingerprint, bits: key.bits, createdAt: now(), revokedAt: nil)
        try record.insert(db)
    }

    private static func keyInfo(_ row: Row) -> KeyInfo {
        KeyInfo(
            id: row["id"], user: row["user_name"], type: row["type"], fingerprint: row["fingerprint"],
            comment: row["comment"], bits: row["bits"], createdAt: row["created_at"], revokedAt: row["revoked_at"])
    }
}

extension Catalogue {
    /// Every user's role and active keys, in one read.
    public func access() throws(StoreError) -> [String: UserAccess] {
        try directory().users
    }

    /// Users, keys, topics and subscriptions in one read transaction, with
    /// the version they are at: the view a server keeps in memory.
    public func directory() throws(StoreError) -> Directory {
        try read { db in
            var directory = Directory(version: try Catalogue.directoryVersion(db))
            for row in try Row.fetchAll(db, sql: "SELECT name, role FROM users") {
                let name: String = row["name"]
                directory.users[name] = UserAccess(role: Role(rawValue: row["role"]) ?? .source, keys: [])
            }
            for row in try Row.fetchAll(db, sql: """
                SELECT u.name, k.base64 FROM keys k JOIN users u ON u.id = k.user_id WHERE k.revoked_at IS NULL
                """) {
                let name: String = row["name"]
                directory.users[name]?.keys.insert(row["base64"])
            }
            for name in try String.fetchAll(db, sql: "SELECT name FROM topics") { directory.topics[name] = [] }
            for row in try Row.fetchAll(db, sql: """
                SELECT t.name AS topic, u.name AS user FROM subscriptions s
                JOIN topics t ON t.id = s.topic_id JOIN users u ON u.id = s.user_id ORDER BY u.name
                """) {
                let topic: String = row["topic"]
                directory.topics[topic]?.append(row["user"])
            }
            return directory
        }
    }

    /// The version `directory()` would read now: one row, raised by a
    /// trigger on every change to users, keys, topics or subscriptions,
    /// from any process.
    public func directoryVersion() throws(StoreError) -> Int64 {
        try read { db in try Catalogue.directoryVersion(db) }
    }

    private static func directoryVersion(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT version FROM directory_version WHERE id = 1") ?? 0
    }
}
