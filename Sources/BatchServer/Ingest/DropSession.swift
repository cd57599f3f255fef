import BatchCore
import BatchStore
import Locking
import Logging

/// The drop area as one channel sees it: the virtual root lists the
/// destinations, and each destination this channel writes to is one
/// `OpenBatch`. Confined to the channel's loop thread.
final class DropSession {
    let user: String
    let peer: String
    let context: IngestContext
    private(set) var batches: [Destination: OpenBatch] = [:]
    private var knownDestinations: [Destination: Bool] = [:]

    init(user: String, peer: String, context: IngestContext) {
        self.user = user
        self.peer = peer
        self.context = context
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

    /// The channel closed: every batch it opened is sealed.
    func sealAll() {
        sealAll { _ in }
    }

    /// Seals every batch this channel opened; `completion` gets their
    /// outcomes, on another thread, once all are recorded.
    func sealAll(completion: @escaping @Sendable ([SealOutcome]) -> Void) {
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
