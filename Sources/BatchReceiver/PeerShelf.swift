import BatchCore
import Locking

/// What this target can serve to peers: the piece store of each batch it
/// holds or is fetching, and the peers the server granted access to each.
/// A peer may fetch only a batch it was granted, with a key the server
/// vouched for. The mutex guards both maps.
final class PeerShelf: Sendable {
    private let state = Locked<(stores: [Int64: PieceStore], grants: [Int64: [PeerGrant]])>(([:], [:]))
    /// Batches kept open for peers; older ones are closed (their peers
    /// have long finished or will fall back to the server).
    static let capacity = 64

    func add(_ store: PieceStore) {
        state.withLock { state in
            state.stores[store.offer.batch] = store
            while state.stores.count > PeerShelf.capacity, let oldest = state.stores.keys.min() {
                state.stores.removeValue(forKey: oldest)
                state.grants.removeValue(forKey: oldest)
            }
        }
    }

    func store(for batch: Int64) -> PieceStore? {
        state.withLock { $0.stores[batch] }
    }

    /// Grants may come before the batch's store is added, and keep coming
    /// after it was closed; beyond twice the capacity the oldest go.
    func setGrants(_ grants: [PeerGrant], for batch: Int64) {
        state.withLock { state in
            state.grants[batch] = grants
            while state.grants.count > 2 * PeerShelf.capacity, let oldest = state.grants.keys.min() {
                state.grants.removeValue(forKey: oldest)
            }
        }
    }

    /// Whether `user` with key `keyLine` ("TYPE BASE64") was granted any batch.
    func knows(user: String, keyLine: String) -> Bool {
        state.withLock { state in
            state.grants.values.contains { $0.contains { $0.user == user && $0.keys.contains(keyLine) } }
        }
    }

    /// Whether `user` was granted `batch`.
    func isGranted(user: String, batch: Int64) -> Bool {
        state.withLock { $0.grants[batch]?.contains { $0.user == user } ?? false }
    }
}
