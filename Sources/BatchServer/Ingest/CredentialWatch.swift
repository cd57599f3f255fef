import Locking

/// The credentials of every open upload channel, checked against the
/// catalogue by the server's revocation sweep (off the loops, within 2 s
/// of a change to the directory):
/// a key revoked or a user removed is marked on each of its channels, which
/// stop at their next request. The lock guards only the table.
final class CredentialWatch: Sendable {
    private let credentials = Locked<[ObjectIdentifier: UploadCredential]>([:])

    func register(_ credential: UploadCredential) {
        credentials.withLock { $0[ObjectIdentifier(credential)] = credential }
    }

    func unregister(_ credential: UploadCredential) {
        _ = credentials.withLock { $0.removeValue(forKey: ObjectIdentifier(credential)) }
    }

    /// Marks every registered credential whose key is no longer active,
    /// as `isActive(key, user)` says.
    func sweep(isActive: (_ key: String, _ user: String) -> Bool) {
        let open = credentials.withLock { Array($0.values) }
        for credential in open where !credential.isRevoked && !isActive(credential.key, credential.user) {
            credential.revoke()
        }
    }
}
