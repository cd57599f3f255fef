import BatchCore
import BatchStore
import Dispatch
import Logging

/// What every upload channel shares: the catalogue, where state lives, the
/// archive settings (current ones: a reload may change them) and the logger.
/// A loop reads users and topics from `access` and queues its catalogue
/// writes on `writer`; only the seal, off the loops, waits on the catalogue.
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
    func policy(for destination: Destination) -> TopicPolicy {
        guard case .users(let names) = destination else { return policy(forTopic: destination.topicName) }
        return settings.current.topics.policy(forUsersSubscribedTo: access.topics(subscribedBy: names))
    }
    /// Users, topics and subscriptions in memory: what a drop is checked
    /// against on its loop.
    let access: AccessView
    /// Ids for new batches, handed out without the catalogue.
    let ids: BatchIDs
    /// The catalogue writes of ingest, in order, off the loops.
    let writer: IngestWriter
    /// What sealed batches took of each source's quota in the last day.
    let sealedDrops: SealedDrops
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
