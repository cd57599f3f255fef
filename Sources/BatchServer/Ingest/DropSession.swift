import BatchCore
import BatchStore
import Locking
import Logging
import SSHKit

/// The drop area as one channel sees it: the virtual root lists the
/// destinations, and each destination this channel writes to is one
/// `OpenBatch`. Confined to the channel's loop thread.
final class DropSession {
    let user: String
    let peer: String
    let context: IngestContext
    private(set) var batches: [Destination: OpenBatch] = [:]
    private var knownDestinations: [Destination: Bool] = [:]

    /// The key this channel's session logged in with; once it is
    /// revoked, nothing more is accepted and nothing open is sealed.
    let credential: UploadCredential

    /// The drop area for a channel of `session`, which logged in with the
    /// key the revocation sweep will watch.
    init(session: SSHSessionInfo, context: IngestContext) {
        user = session.user
        peer = session.peer
        self.context = context
        credential = UploadCredential(user: session.user, key: session.key.base64)
        context.credentials.register(credential)
    }

    deinit {
        context.credentials.unregister(credential)
    }

    /// The refusal every request gets once the session's key is revoked or
    /// its user removed; nil while it may go on.
    var revocation: IngestError? {
        credential.isRevoked ? .revoked : nil
    }

    /// The key was revoked: every batch this channel opened is failed, not
    /// sealed, and the channel takes nothing more.
    func abandonAll() {
        for batch in batches.values { batch.abandon(reason: IngestError.revoked.description) }
        batches.removeAll()
    }

    /// Whether `destination` names recipients that exist now.
    func destinationExists(_ destination: Destination) -> Bool {
        if batches[destination] != nil { return true }
        return (try? validate(destination)) != nil
    }

    /// Throws the catalogue's sentence when `destination` does not resolve.
    func validate(_ destination: Destination) throws(IngestError) {
        do {
            _ = try context.catalogue.recipients(of: destination)
        } catch {
            throw IngestError(error)
        }
    }

    /// The batch for `destination`, opened on first use.
    func batch(for destination: Destination) throws(IngestError) -> OpenBatch {
        if let batch = batches[destination], !batch.isSealing { return batch }
        let batch = try OpenBatch(destination: destination, source: user, peer: peer, context: context)
        batches[destination] = batch
        return batch
    }

    /// The batch for `destination` if this channel already wrote to it.
    func existingBatch(for destination: Destination) -> OpenBatch? {
        batches[destination]
    }

    /// The topic names, for listing the root of the drop area.
    func topicNames() -> [String] {
        do {
            return try context.catalogue.topics().map(\.name).sorted()
        } catch {
            context.logger.error("cannot list topics", metadata: ["error": "\(error)", "user": "\(user)", "peer": "\(peer)"])
            return []
        }
    }

    /// The channel closed: every batch it opened is sealed (abandoned when
    /// the key was revoked meanwhile).
    func sealAll() {
        sealAll { _ in }
    }

    /// Seals every batch this channel opened; `completion` gets their
    /// outcomes, on another thread, once all are recorded.
    func sealAll(completion: @escaping @Sendable ([SealOutcome]) -> Void) {
        if credential.isRevoked { abandonAll() }
        let open = Array(batches.values)
        batches.removeAll()
        guard !open.isEmpty else { return completion([]) }
        let outcomes = Locked<[SealOutcome]>([])
        let count = open.count
        for batch in open {
            batch.seal { outcome in
                let all = outcomes.withLock { list -> [SealOutcome]? in
                    list.append(outcome)
                    return list.count == count ? list : nil
                }
                if let all { completion(all) }
            }
        }
    }
}
