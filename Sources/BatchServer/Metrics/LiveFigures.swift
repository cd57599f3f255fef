import SSHKit

/// What the running server knows that the catalogue does not, read at
/// scrape time from counters and the notifier's table.
struct LiveFigures: Sendable {
    /// When the server started, in Unix seconds.
    var startTime: Double
    var ssh: SSHServerStatistics
    /// Open subscribe channels.
    var subscribers: Int
    /// Targets with at least one open subscribe channel.
    var connectedTargets: Set<String>
    var uploadsInProgress: Int
    var ingestedBytes: Int
}
