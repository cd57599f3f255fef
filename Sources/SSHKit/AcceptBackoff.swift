import Foundation

/// How long the accept thread waits after a failed accept. A process out
/// of descriptors cannot take the connection waiting in the backlog, so the
/// listening socket stays readable; retrying at once would spin a core.
/// The wait doubles from 10 ms to 1 s and is reset by the next success.
struct AcceptBackoff {
    private(set) var delay: Double = 0
    static let first = 0.01
    static let longest = 1.0

    /// Notes a failure and sleeps. True for the first failure of a run, so
    /// the caller logs a run once, not every retry.
    @discardableResult
    mutating func failed() -> Bool {
        let first = delay == 0
        delay = first ? AcceptBackoff.first : min(delay * 2, AcceptBackoff.longest)
        Thread.sleep(forTimeInterval: delay)
        return first
    }

    mutating func succeeded() {
        delay = 0
    }
}
