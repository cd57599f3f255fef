import BatchCore

/// A user as `batchctl user list` shows it.
public struct UserInfo: Sendable, Equatable, Codable {
    /// The login name.
    public var name: String
    /// What the user may do.
    public var role: Role
    /// How many of the user's keys are not revoked.
    public var keys: Int
    /// The topics the user is subscribed to, sorted.
    public var topics: [String]
    /// When the user was added, in Unix seconds.
    public var createdAt: Int64

    /// Creates a user description.
    public init(name: String, role: Role, keys: Int, topics: [String], createdAt: Int64) {
        self.name = name
        self.role = role
        self.keys = keys
        self.topics = topics
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case name, role, keys, topics
        case createdAt = "created_at"
    }
}
