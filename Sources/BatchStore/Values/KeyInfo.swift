/// A registered public key as `batchctl key list` shows it.
public struct KeyInfo: Sendable, Equatable, Codable {
    /// The catalogue's id for the key, accepted by `key revoke`.
    public var id: Int64
    /// The user the key belongs to.
    public var user: String
    /// The key type, e.g. `ssh-ed25519`.
    public var type: String
    /// `SHA256:…`, as `ssh-keygen -l` prints.
    public var fingerprint: String
    /// The comment from the `authorized_keys` line.
    public var comment: String
    /// The key size in bits.
    public var bits: Int
    /// When the key was added, in Unix seconds.
    public var createdAt: Int64
    /// When the key was revoked, in Unix seconds; nil while it is active.
    public var revokedAt: Int64?

    /// Creates a key description.
    public init(id: Int64, user: String, type: String, fingerprint: String, comment: String, bits: Int, createdAt: Int64, revokedAt: Int64?) {
        self.id = id
        self.user = user
        self.type = type
        self.fingerprint = fingerprint
        self.comment = comment
        self.bits = bits
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, user, type, fingerprint, comment, bits
        case createdAt = "created_at"
        case revokedAt = "revoked_at"
    }

    // Written by hand so that an active key shows `"revoked_at": null`
    // rather than omitting the field: scripts can test it either way.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(user, forKey: .user)
        try c.encode(type, forKey: .type)
        try c.encode(fingerprint, forKey: .fingerprint)
        try c.encode(comment, forKey: .comment)
        try c.encode(bits, forKey: .bits)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(revokedAt, forKey: .revokedAt)
    }
}
