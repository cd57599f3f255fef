import Locking

/// The bytes held by open batches, which the catalogue does not count yet,
/// per source and topic: a quota then covers uploads running on other
/// channels and connections too.
final class QuotaLedger: Sendable {
    /// A source's drops to one topic, or to named users when `topic` is nil.
    struct Key: Hashable, Sendable {
        let source: String
        let topic: String?
    }

    private let bytes = Locked<[Key: Int64]>([:])

    /// Adds `delta` to `key`'s open bytes if the total stays within
    /// `allowed`; returns false, changing nothing, if it would not.
    func reserve(_ delta: Int64, for key: Key, allowed: Int64) -> Bool {
        bytes.withLock { map in
            let total = map[key, default: 0] + delta
            guard total <= allowed else { return false }
            map[key] = total
            return true
        }
    }

    /// Takes `delta` bytes off `key`'s open bytes.
    func release(_ delta: Int64, for key: Key) {
        bytes.withLock { map in
            let total = map[key, default: 0] - delta
            map[key] = total > 0 ? total : nil
        }
    }

    /// `key`'s open bytes now.
    func openBytes(for key: Key) -> Int64 {
        bytes.withLock { $0[key, default: 0] }
    }
}
