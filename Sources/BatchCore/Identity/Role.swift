/// What a user may do on the server. Every user has exactly one role.
public enum Role: String, Codable, Sendable, CaseIterable, Equatable {
    /// Drops batches with scp/sftp and watches their delivery.
    case source
    /// Subscribes to topics and receives batches.
    case target
    /// Runs `batchctl` remotely.
    case admin
}
