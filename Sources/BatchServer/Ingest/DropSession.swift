import BatchCore
import BatchStore
import Locking
import Logging
import SSHKit

/// The drop area as one channel sees it: the virtual root lists the
/// destinations, and each destination's tree is the source's open batch to
/// it, shared with the source's other channels (`OpenBatches`). The
/// batches this channel wrote to stay open at least until it closes.
/// Confined to the channel's loop thread.
final class DropSession {
    let user: String
    let peer: PeerAddress
    let context: IngestContext
    /// The batches this channel joined by writing to them.
    private var joined: [Destination: OpenBatch] = [:]

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

    /// The key was revoked: every batch this channel wrote to is failed,
    /// not sealed, and the channel takes nothing more.
    func abandonAll() {
        for batch in joined.values { batch.abandon(reason: IngestError.revoked.description) }
        joined.removeAll()
    }

    /// Throws the catalogue's sentence when `destination` does not resolve.
    private func validate(_ destination: Destination) throws(IngestError) {
        do {
            _ = try context.access.recipients(of: destination)
        } catch {
            throw IngestError(error)
        }
    }

    /// The batch to write to for `destination`: the source's open one,
    /// joined, or a new one.
    func batch(for destination: Destination) throws(IngestError) -> OpenBatch {
        if let batch = joined[destination], batch.isOpen { return batch }
        let batch = try context.batches.join(destination, source: user, peer: peer, context: context)
        remember(batch, for: destination)
        return batch
    }

    /// Keeps `batch`, just joined, as this channel's for `destination`. One
    /// it joined before and that sealed meanwhile (by `seal`) no longer
    /// waits for this channel.
    private func remember(_ batch: OpenBatch, for destination: Destination) {
        joined[destination]?.leave()
        joined[destination] = batch
    }

    /// The source's open batch for `destination`, whichever channel made
    /// it. `joining` is for requests that change it (SETSTAT, RENAME,
    /// REMOVE): the batch then also waits for this channel to close.
    private func existingBatch(for destination: Destination, joining: Bool = false) -> OpenBatch? {
        if let batch = joined[destination], batch.isOpen { return batch }
        guard joining else { return context.batches.open(destination, source: user) }
        guard let batch = context.batches.joinExisting(destination, source: user) else { return nil }
        remember(batch, for: destination)
        return batch
    }

    /// A path a client sent, resolved in the drop area.
    func resolve(_ raw: [UInt8]) throws(IngestError) -> DropPath {
        do {
            return try DropPath.resolve(raw, relativeTo: .root)
        } catch {
            throw .path(error)
        }
    }

    /// Splits a path into its destination, the path below it, and the
    /// source's open batch there. Nil for the root. Throws when the
    /// destination does not exist. `joining` as for `existingBatch`.
    func locate(_ path: DropPath, joining: Bool = false) throws(IngestError) -> DropLocation? {
        guard let first = path.components.first else { return nil }
        let destination: Destination
        do {
            destination = try Destination(component: first)
        } catch {
            throw .path(error)
        }
        let batch = existingBatch(for: destination, joining: joining)
        if batch == nil { try validate(destination) }
        return DropLocation(destination: destination, relative: path.components.dropFirst().joined(separator: "/"), batch: batch)
    }

    /// The topic names, for listing the root of the drop area.
    func topicNames() -> [String] {
        context.access.topicNames
    }

    /// The channel closed: it leaves every batch it wrote to (which then
    /// seal after their quiet time), or abandons them when the key was
    /// revoked meanwhile.
    func leaveAll() {
        leaveAll { _ in }
    }

    /// As `leaveAll()`; `completion` gets, on another thread, the outcomes
    /// of the batches that seal by themselves (`BatchSeal auto`) once all
    /// are known. Batches that wait for an explicit `seal` are not waited for.
    func leaveAll(completion: @escaping @Sendable ([SealOutcome]) -> Void) {
        if credential.isRevoked { abandonAll() }
        let left = Array(joined.values)
        joined.removeAll()
        for batch in left { batch.leave() }
        let awaited = left.filter { $0.policy.batchSeal == .auto }
        guard !awaited.isEmpty else { return completion([]) }
        let outcomes = Locked<[SealOutcome]>([])
        let count = awaited.count
        for batch in awaited {
            batch.verdict.wait { outcome in
                let all = outcomes.withLock { list -> [SealOutcome]? in
                    list.append(outcome)
                    return list.count == count ? list : nil
                }
                if let all { completion(all) }
            }
        }
    }
}
