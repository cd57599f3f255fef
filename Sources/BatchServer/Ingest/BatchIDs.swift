import Locking

/// Hands out batch ids in memory, from the highest the catalogue ever gave
/// on, so that a batch opens on its loop without waiting for the catalogue:
/// its row is written after, in order (`IngestWriter`). batchd is the only
/// writer of batches, so nothing else takes ids meanwhile. An id handed out
/// and never written (a crash before its row) may be handed out again by
/// the next start, which first removes any staging folder it left.
final class BatchIDs: Sendable {
    private let last: Locked<Int64>

    init(after last: Int64) {
        self.last = Locked(last)
    }

    func next() -> Int64 {
        last.withLock { value in
            value += 1
            return value
        }
    }
}
