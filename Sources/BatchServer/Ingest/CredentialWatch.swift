import BatchStore
import Locking
import Logging

/// The credentials of every open upload channel, checked against the
/// catalogue by the server's revocation sweep (every 2 s, off the loops):
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

    /// Marks every registered credential whose key is no longer active.
    /// One catalogue read per user with open uploads.
    func sweep(catalogue: Catalogue, logger: Logger) {
        let open = credentials.withLock { Array($0.values) }
        let byUser = Dictionary(grouping: open.filter { !$0.isRevoked }, by: \.user)
        for (user, held) in byUser {
            let active: Set<String>
            do {
                active = Set(try catalogue.activeKeys(user: user))
            } catch {
                logger.error("cannot read keys for the revocation check", metadata: ["user": "\(user)", "error": "\(error)"])
                continue
            }
            for credential in held where !active.contains(credential.key) {
                credential.revoke()
            }
        }
    }
}
