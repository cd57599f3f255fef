import Synchronization

/// The key an upload channel's session logged in with. The revocation
/// sweep marks it revoked when the key is revoked or its user removed; the
/// channel reads the mark, which costs nothing, before each request.
final class UploadCredential: Sendable {
    let user: String
    /// The key's base64 blob, as the catalogue stores it.
    let key: String
    private let revokedFlag = Atomic<Bool>(false)

    init(user: String, key: String) {
        self.user = user
        self.key = key
    }

    var isRevoked: Bool { revokedFlag.load(ordering: .acquiring) }

    func revoke() {
        revokedFlag.store(true, ordering: .releasing)
    }
}
