import Synchronization

/// Upload figures since the server started, for metrics: kept with relaxed
/// atomics by the loops, read by the metrics thread.
final class IngestCounters: Sendable {
    /// Batches open for upload: channels' batches not yet sealing.
    let uploadsInProgress = Atomic<Int>(0)
    /// Bytes written to staging by uploads, complete or not.
    let ingestedBytes = Atomic<Int>(0)
}
