/// A public key to register for a user, as parsed from an `authorized_keys` line.
public struct NewKey: Sendable, Equatable {
    /// The key type, e.g. `ssh-ed25519`.
    public var type: String
    /// The key blob in base64, exactly as in the `authorized_keys` line.
    public var base64: String
    /// The free text after the key, often `user@host`.
    public var comment: String
    /// `SHA256:` and the unpadded base64 SHA-256 of the blob, as `ssh-keygen -l` prints.
    public var fingerprint: String
    /// The key size in bits.
    public var bits: Int

    /// Creates a key description.
    public init(type: String, base64: String, comment: String, fingerprint: String, bits: Int) {
        self.type = type
        self.base64 = base64
        self.comment = comment
        self.fingerprint = fingerprint
        self.bits = bits
    }
}
