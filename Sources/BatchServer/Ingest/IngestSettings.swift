import Locking

/// The archive and upload settings a reload may change; each new batch and
/// each upload reads the current ones.
final class IngestSettings: Sendable {
    struct Values: Sendable, Equatable {
        var pieceSize: Int
        var compressionLevel: Int32
        /// Largest single file accepted, in bytes.
        var maxFileSize: UInt64
        /// Limits, retention and the pre-seal hook per topic.
        var topics: TopicRules
        /// Files one user may hold open for upload at once.
        var maxOpenFilesPerUser = 256
        /// Batches one user may have open at once.
        var maxOpenBatchesPerUser = 16
        /// Pre-seal hooks of one user's batches that run at once.
        var maxPreSealHooksPerUser = 2
    }

    private let values: Locked<Values>

    init(_ values: Values) {
        self.values = Locked(values)
    }

    var current: Values { values.withLock { $0 } }

    func update(_ new: Values) {
        values.withLock { $0 = new }
    }
}
