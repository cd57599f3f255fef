/// A peer target allowed to fetch one batch from this target's listener,
/// and the public keys it may authenticate with.
public struct PeerGrant: Codable, Sendable, Equatable {
    /// The peer's user name.
    public var user: String
    /// The peer's public keys as `TYPE BASE64`, as in authorized_keys
    /// without a comment.
    public var keys: [String]

    /// Creates a grant.
    public init(user: String, keys: [String]) {
        self.user = user
        self.keys = keys
    }
}
