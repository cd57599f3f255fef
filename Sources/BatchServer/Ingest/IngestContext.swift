import BatchStore
import Dispatch
import Logging

/// What every upload channel shares: the catalogue, where state lives, the
/// archive settings and the logger.
struct IngestContext: Sendable {
    let catalogue: Catalogue
    let layout: StateLayout
    let pieceSize: Int
    let compressionLevel: Int32
    /// Largest single file accepted, in bytes.
    let maxFileSize: UInt64
    let logger: Logger
    /// Told of every sealed batch, to offer it at once.
    let notifier: Notifier
    /// Seals under way; shutdown waits for them so no batch is left half-sealed.
    let pendingSeals = DispatchGroup()
}
