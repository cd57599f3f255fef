import BatchStore
import Dispatch
import Locking

/// Where the catalogue writes of ingest run, one at a time, in the order
/// they were asked: a batch's row (written after its first upload began),
/// its finished upload, its seal or failure. A loop only ever queues work
/// here (`queue`); the seal's steps, off the loops, wait for theirs
/// (`write`), which also puts them after the row they need.
final class IngestWriter: Sendable {
    private let catalogue: Catalogue
    private let serial = DispatchQueue(label: "batchd.ingest-writes", qos: .userInitiated)

    init(catalogue: Catalogue) {
        self.catalogue = catalogue
    }

    /// Queues `work` after every write asked before; returns at once.
    func queue(_ work: @escaping @Sendable (Catalogue) -> Void) {
        serial.async { [catalogue] in work(catalogue) }
    }

    /// Runs `work` after every write asked before, and waits for it. Never
    /// from a loop, nor from work queued here.
    func write<T>(_ work: (Catalogue) throws(StoreError) -> T) throws(StoreError) -> T {
        LoopThread.mayBlock("waiting for the catalogue's ingest writes")
        let result: Result<T, StoreError> = serial.sync {
            do throws(StoreError) {
                return .success(try work(catalogue))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Waits for every write queued so far; for shutdown.
    func settle() {
        serial.sync {}
    }
}
