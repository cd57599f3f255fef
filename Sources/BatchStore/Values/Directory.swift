import BatchCore

/// Who may log in and where drops go: every user's role and active keys,
/// and every topic's subscribers, read in one transaction with the
/// version that dates them. A server keeps it in memory so that logins
/// and requests never wait on the catalogue.
public struct Directory: Sendable, Equatable {
    /// Raised by every change to users, keys, topics or subscriptions.
    public var version: Int64
    public var users: [String: UserAccess]
    /// Each topic's subscribers, sorted.
    public var topics: [String: [String]]

    public init(version: Int64 = 0, users: [String: UserAccess] = [:], topics: [String: [String]] = [:]) {
        self.version = version
        self.users = users
        self.topics = topics
    }

    /// The target users a batch to `destination` goes to, sorted and
    /// without repeats, as `Catalogue.recipients(of:)` reads them; throws
    /// the same errors.
    public func recipients(of destination: Destination) throws(StoreError) -> [String] {
        switch destination {
        case .topic(let name):
            guard let subscribers = topics[name] else { throw .unknownTopic(name) }
            return subscribers
        case .users(let names):
            for name in names {
                guard let user = users[name] else { throw .unknownUser(name) }
                guard user.role == .target else { throw .notATarget(name, user.role) }
            }
            return Array(Set(names)).sorted()
        }
    }

    /// The names of the topics any of `names` subscribes to, sorted.
    public func topics(subscribedBy names: [String]) -> [String] {
        let wanted = Set(names)
        return topics.filter { !wanted.isDisjoint(with: $0.value) }.keys.sorted()
    }

    /// Every topic's name, sorted.
    public var topicNames: [String] { topics.keys.sorted() }
}
