import BatchCore
import Locking
import SSHKit

/// Every open batch of the server, one per source and destination: the
/// channels of one source, on any session and loop, find and share it here.
/// A batch that stopped taking uploads (sealing) is kept aside until its
/// outcome is known, for a `seal` that comes just after.
final class OpenBatches: Sendable {
    private struct Key: Hashable {
        let source: String
        let destination: Destination
    }

    private struct State {
        var open: [Key: OpenBatch] = [:]
        var ending: [Key: OpenBatch] = [:]
    }

    /// Guards both maps. Lock order: this lock, then a batch's own; a batch
    /// calls back (`ended`) only with its own lock released.
    private let state = Locked(State())

    /// The source's open batch to `destination`, opened on first use, with
    /// the calling channel joined to it (so that no quiet time can seal it
    /// between this lookup and the channel's first write).
    func join(_ destination: Destination, source: String, peer: PeerAddress, context: IngestContext) throws(IngestError) -> OpenBatch {
        let key = Key(source: source, destination: destination)
        return try state.withLock { state throws(IngestError) -> OpenBatch in
            if let batch = state.open[key], batch.join() { return batch }
            let batch = try OpenBatch(destination: destination, source: source, peer: peer, context: context) { [weak self] batch in
                self?.ended(batch, key: key)
            }
            _ = batch.join()
            state.open[key] = batch
            return batch
        }
    }

    /// The source's open batch to `destination` with the calling channel
    /// joined to it, if there is one; none is opened.
    func joinExisting(_ destination: Destination, source: String) -> OpenBatch? {
        state.withLock { state in
            guard let batch = state.open[Key(source: source, destination: destination)], batch.join() else { return nil }
            return batch
        }
    }

    /// The source's batch to `destination` that still takes uploads, if any.
    func open(_ destination: Destination, source: String) -> OpenBatch? {
        state.withLock { $0.open[Key(source: source, destination: destination)] }
    }

    /// The batch a `seal` by `source` is about: the open one, else the one
    /// that began sealing last and has no outcome yet.
    func toSeal(_ destination: Destination, source: String) -> OpenBatch? {
        let key = Key(source: source, destination: destination)
        return state.withLock { $0.open[key] ?? $0.ending[key] }
    }

    /// Every batch still taking uploads, for shutdown.
    var all: [OpenBatch] { state.withLock { Array($0.open.values) } }

    private func ended(_ batch: OpenBatch, key: Key) {
        state.withLock { state in
            if state.open[key] === batch { state.open[key] = nil }
            state.ending[key] = batch
        }
        batch.verdict.wait { [weak self] _ in
            self?.state.withLock { state in
                if state.ending[key] === batch { state.ending[key] = nil }
            }
        }
    }
}
