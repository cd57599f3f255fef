import BatchCore

/// What a login and a request are checked against: a user's role and the
/// base64 blobs of its keys that are not revoked.
public struct UserAccess: Sendable, Equatable {
    public var role: Role
    public var keys: Set<String>

    public init(role: Role, keys: Set<String>) {
        self.role = role
        self.keys = keys
    }
}
