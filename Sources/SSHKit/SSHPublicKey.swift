/// A public key a client offered during authentication, in the
/// authorized_keys spelling: key type and base64 blob.
public struct SSHPublicKey: Sendable, Equatable, Hashable {
    /// Key type name as libssh reports it, e.g. `ssh-ed25519`, `ssh-rsa`.
    public let type: String
    /// The key blob in base64, exactly as it appears in an authorized_keys line.
    public let base64: String

    public init(type: String, base64: String) {
        self.type = type
        self.base64 = base64
    }
}
