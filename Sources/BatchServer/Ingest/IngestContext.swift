import BatchCore
import BatchStore
import Dispatch
import Logging

/// What every upload channel shares: the catalogue, where state lives, the
/// archive settings (current ones: a reload may change them) and the logger.
struct IngestContext: Sendable {
    let catalogue: Catalogue
    let layout: StateLayout
    let settings: IngestSettings
    var pieceSize: Int { settings.current.pieceSize }
    var compressionLevel: Int32 { settings.current.compressionLevel }
    /// Largest single file accepted, in bytes.
    var maxFileSize: UInt64 { settings.current.maxFileSize }
    /// Limits, retention and the pre-seal hook for drops to `topic` (to
    /// named users when nil), as the config now says.
    func policy(forTopic topic: String?) -> TopicPolicy { settings.current.topics.policy(forTopic: topic) }
    /// The settings for a drop to `destination`: a topic's own, or for
    /// named users the top level's tightened by every topic one of them
    /// subscribes to (see `TopicRules.policy(forUsersSubscribedTo:)`).
    func policy(for destination: Destination) throws(IngestError) -> TopicPolicy {
        guard case .users(let names) = destination else { return policy(forTopic: destination.topicName) }
        let topics: [String]
        do {
            topics = try catalogue.topics(subscribedBy: names)
        } catch {
            throw .storage("cannot read the recipients' topics: \(error)")
        }
        return settings.current.topics.policy(forUsersSubscribedTo: topics)
    }
    /// Bytes of open batches, which quotas count beside sealed ones.
    let ledger = QuotaLedger()
    let logger: Logger
    /// Told of every sealed batch, to offer it at once.
    let notifier: Notifier
    /// Seals under way; shutdown waits for them so no batch is left half-sealed.
    let pendingSeals = DispatchGroup()
    /// The batches open now, one per source and destination, shared by
    /// that source's channels.
    let batches = OpenBatches()
    /// Files each user holds open for upload, against MaxOpenFilesPerUser.
    let openFiles = UserAllowance()
    /// Batches each user has open, against MaxOpenBatchesPerUser.
    let openBatches = UserAllowance()
    /// The keys of open upload channels, for the revocation sweep.
    let credentials = CredentialWatch()
    /// Pre-seal hooks running per user, MaxPreSealHooksPerUser at a time.
    let hookGate = PreSealHookGate()
    /// Uploads in progress and bytes ingested, for metrics.
    let counters = IngestCounters()
}
