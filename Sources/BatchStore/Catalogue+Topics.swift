import BatchCore
import GRDB

extension Catalogue {
    /// Creates an empty topic.
    public func addTopic(_ name: String) throws(StoreError) {
        guard Destination.isValidName(name) else { throw .invalidName(name) }
        try write { db in
            if try Catalogue.topicRecord(db, name: name) != nil { throw StoreError.topicExists(name) }
            var topic = TopicRecord(id: nil, name: name, createdAt: Catalogue.now())
            try topic.insert(db)
        }
    }

    /// Deletes a topic and its subscriptions. Batches already dropped to it
    /// keep their offers.
    public func removeTopic(_ name: String) throws(StoreError) {
        try write { db in
            guard let topic = try Catalogue.topicRecord(db, name: name) else { throw StoreError.unknownTopic(name) }
            _ = try topic.delete(db)
        }
    }

    /// Whether a topic with this name exists.
    public func topicExists(_ name: String) throws(StoreError) -> Bool {
        try read { db in try Catalogue.topicRecord(db, name: name) != nil }
    }

    /// All topics with their subscribers, sorted by name.
    public func topics() throws(StoreError) -> [TopicInfo] {
        try read { db in
            let topics = try TopicRecord.order(Column("name")).fetchAll(db)
            return try topics.map { topic in
                TopicInfo(name: topic.name, subscribers: try Catalogue.subscribers(db, topicID: topic.id ?? 0))
            }
        }
    }

    /// The names of the topics any of `users` subscribes to, sorted.
    public func topics(subscribedBy users: [String]) throws(StoreError) -> [String] {
        guard !users.isEmpty else { return [] }
        return try read { db in
            try String.fetchAll(db, sql: """
                SELECT DISTINCT t.name FROM subscriptions s
                JOIN topics t ON t.id = s.topic_id JOIN users u ON u.id = s.user_id
                WHERE u.name IN (\(databaseQuestionMarks(count: users.count))) ORDER BY t.name
                """, arguments: StatementArguments(users))
        }
    }

    /// Puts target users on a topic's list. Every user must exist, be a
    /// target and not be subscribed yet; otherwise nothing changes.
    public func subscribe(topic: String, users: [String]) throws(StoreError) {
        try write { db in
            guard let record = try Catalogue.topicRecord(db, name: topic) else { throw StoreError.unknownTopic(topic) }
            for name in users {
                let user = try Catalogue.targetRecord(db, name: name)
                let subscription = SubscriptionRecord(topicId: record.id ?? 0, userId: user.id ?? 0)
                if try subscription.exists(db) { throw StoreError.alreadySubscribed(user: name, topic: topic) }
                try subscription.insert(db)
            }
        }
    }

    /// Takes users off a topic's list. Every user must be on it; otherwise
    /// nothing changes.
    public func unsubscribe(topic: String, users: [String]) throws(StoreError) {
        try write { db in
            guard let record = try Catalogue.topicRecord(db, name: topic) else { throw StoreError.unknownTopic(topic) }
            for name in users {
                guard let user = try Catalogue.userRecord(db, name: name) else { throw StoreError.unknownUser(name) }
                let subscription = SubscriptionRecord(topicId: record.id ?? 0, userId: user.id ?? 0)
                guard try subscription.delete(db) else { throw StoreError.notSubscribed(user: name, topic: topic) }
            }
        }
    }

    /// The target users a batch to `destination` goes to, sorted and
    /// without repeats: a topic's subscribers (possibly none), or the named
    /// users, each of which must exist and be a target.
    public func recipients(of destination: Destination) throws(StoreError) -> [String] {
        try read { db in try Catalogue.recipients(db, of: destination) }
    }

    static func recipients(_ db: Database, of destination: Destination) throws -> [String] {
        switch destination {
        case .topic(let name):
            guard let topic = try topicRecord(db, name: name) else { throw StoreError.unknownTopic(name) }
            return try subscribers(db, topicID: topic.id ?? 0)
        case .users(let names):
            for name in names { _ = try targetRecord(db, name: name) }
            return Array(Set(names)).sorted()
        }
    }

    static func topicRecord(_ db: Database, name: String) throws -> TopicRecord? {
        try TopicRecord.filter(Column("name") == name).fetchOne(db)
    }

    private static func targetRecord(_ db: Database, name: String) throws -> UserRecord {
        guard let user = try userRecord(db, name: name) else { throw StoreError.unknownUser(name) }
        let role = Role(rawValue: user.role) ?? .source
        guard role == .target else { throw StoreError.notATarget(name, role) }
        return user
    }

    private static func subscribers(_ db: Database, topicID: Int64) throws -> [String] {
        try String.fetchAll(db, sql: """
            SELECT u.name FROM subscriptions s JOIN users u ON u.id = s.user_id
            WHERE s.topic_id = ? ORDER BY u.name
            """, arguments: [topicID])
    }
}
