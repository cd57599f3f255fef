import BatchCore

/// Why the catalogue refused or failed an operation. Each description is a
/// sentence an operator (or, for destinations, an scp client) can act on.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The database file could not be opened or migrated.
    case cannotOpen(path: String, reason: String)
    /// SQLite reported an error the catalogue does not interpret.
    case database(String)
    /// A user or topic name breaks the naming rules.
    case invalidName(String)
    /// `user add` for a name already taken.
    case userExists(String)
    /// No user has this name.
    case unknownUser(String)
    /// The user exists but cannot receive batches.
    case notATarget(String, Role)
    /// The key is already registered, possibly to another user.
    case keyExists(fingerprint: String, user: String)
    /// No key has this fingerprint or id.
    case unknownKey(String)
    /// The key was revoked before.
    case keyAlreadyRevoked(String)
    /// `topic add` for a name already taken.
    case topicExists(String)
    /// No topic has this name.
    case unknownTopic(String)
    /// The user is already on the topic's list.
    case alreadySubscribed(user: String, topic: String)
    /// The user is not on the topic's list.
    case notSubscribed(user: String, topic: String)
    /// No batch has this id.
    case unknownBatch(Int64)
    /// The batch is in a state that does not allow the operation.
    case wrongBatchState(id: Int64, state: BatchState, operation: String)
    /// No offer of this batch is addressed to this user.
    case unknownOffer(batch: Int64, target: String)
    /// A purge without force found targets still fetching the batch.
    case beingDelivered(id: Int64, targets: [String])

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            return "cannot open the catalogue at '\(path)': \(reason)"
        case .database(let message):
            return "catalogue error: \(message)"
        case .invalidName(let name):
            return "'\(name)' is not a valid name; names use 1 to 64 letters, digits, '.', '_' and '-', not starting with '.' or '-'"
        case .userExists(let name):
            return "user '\(name)' already exists; batchctl user list shows the users"
        case .unknownUser(let name):
            return "unknown user '\(name)'; batchctl user list shows the users"
        case .notATarget(let name, let role):
            return "user '\(name)' is not a target (role \(role.rawValue)); only targets receive batches"
        case .keyExists(let fingerprint, let user):
            return "key \(fingerprint) is already registered to user '\(user)'"
        case .unknownKey(let key):
            return "no key matches '\(key)'; batchctl key list shows fingerprints and ids"
        case .keyAlreadyRevoked(let fingerprint):
            return "key \(fingerprint) is already revoked"
        case .topicExists(let name):
            return "topic '\(name)' already exists; batchctl topic list shows the topics"
        case .unknownTopic(let name):
            return "topic '\(name)' does not exist; batchctl topic list shows the topics"
        case .alreadySubscribed(let user, let topic):
            return "user '\(user)' is already subscribed to topic '\(topic)'"
        case .notSubscribed(let user, let topic):
            return "user '\(user)' is not subscribed to topic '\(topic)'"
        case .unknownBatch(let id):
            return "batch \(id) does not exist; batchctl batch list shows the batches"
        case .wrongBatchState(let id, let state, let operation):
            return "cannot \(operation) batch \(id): it is \(state.rawValue)"
        case .unknownOffer(let batch, let target):
            return "batch \(batch) was not offered to user '\(target)'"
        case .beingDelivered(let id, let targets):
            return "batch \(id) is still being delivered to \(targets.joined(separator: ", ")), so it was not purged; "
                + "purge it when they have it, or with --force to end those deliveries"
        }
    }
}
