import Dispatch
import Locking

/// Where the catalogue writes of ingest run, one at a time, in the order
/// they were asked: a batch's row (written after its first upload began),
/// its finished upload, its seal or failure. A loop only ever queues work
/// here (`async`); the seal's steps, off the loops, wait for theirs
/// (`sync`), which also puts them after the row they need.
final class IngestWriter: Sendable {
    private let queue = DispatchQueue(label: "batchd.ingest-writes", qos: .userInitiated)

    /// Queues `work` after every write asked before; returns at once.
    func async(_ work: @escaping @Sendable () -> Void) {
        queue.async(execute: work)
    }

    /// Runs `work` after every write asked before, and waits for it. Never
    /// from a loop, nor from work queued here.
    func sync<T, Failure: Error>(_ work: () throws(Failure) -> T) throws(Failure) -> T {
        LoopThread.mayBlock("waiting for the catalogue's ingest writes")
        let result: Result<T, Failure> = queue.sync {
            do throws(Failure) {
                return .success(try work())
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Waits for every write queued so far; for shutdown.
    func settle() {
        queue.sync {}
    }
}
