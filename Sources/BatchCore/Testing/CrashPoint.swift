import Foundation

/// Named points where the crash-safety tests kill the process, as `kill -9`
/// would, at the worst moment. Armed only by tests, through the environment:
/// `BATCHD_TEST_CRASH_AT=NAME` makes the process SIGKILL itself the first
/// time it reaches that point. Unset, `reached()` does nothing.
public enum CrashPoint: String, Sendable {
    /// Server: the archive is written and fsynced, the catalogue does not
    /// say `sealed` yet.
    case seal
    /// Server: the offer went out to one online recipient, maybe not all.
    case offer
    /// Server: half of a fetch range went out to a target.
    case serve
    /// Receiver: the archive is complete, verified and fsynced under its
    /// `.part` name, not yet renamed to its final name.
    case land
    /// Receiver: at least half of a range a peer fetches from it went out
    /// (handed to the SSH channel, none still queued), not all of it.
    case relay
    /// Receiver: at least half of the batch's pieces are verified and kept,
    /// some of them fetched from a peer, the rest not yet.
    case relayFetch = "relay-fetch"
    /// batchctl: the catalogue says `purged`, the archive is not removed yet.
    case purge

    private static let armed = ProcessInfo.processInfo.environment["BATCHD_TEST_CRASH_AT"].flatMap(CrashPoint.init)

    /// Kills the process now if the tests armed this point.
    public func reached() {
        guard CrashPoint.armed == self else { return }
        kill(getpid(), SIGKILL)
    }
}
