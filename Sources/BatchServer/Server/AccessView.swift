import BatchCore
import BatchStore
import Dispatch
import Locking
import Logging

/// Who may log in and where drops may go, kept in memory so that a login,
/// a request or an upload on an event loop never reads the catalogue:
/// users' roles and active keys, and topics with their subscribers (a
/// `Directory`). A timer off the loops reads the catalogue's directory
/// version every quarter second (one row, which a trigger raises on every
/// change, from any process) and reads the directory again when it
/// moved; a change by `batchctl`, local or over ssh, is seen within that
/// time, and a change by a remote `batchctl` at once (`refresh()` after
/// each admin command).
final class AccessView: Sendable {
    private let catalogue: Catalogue
    private let logger: Logger
    private let directory: Locked<Directory>
    private let queue = DispatchQueue(label: "batchd.access", qos: .userInitiated)
    private let timer: RepeatingTimer

    /// Reads the directory once, so that the first login finds it.
    init(catalogue: Catalogue, logger: Logger) throws(StoreError) {
        self.catalogue = catalogue
        self.logger = logger
        timer = RepeatingTimer(queue: queue, interval: .milliseconds(250))
        directory = Locked(try catalogue.directory())
    }

    /// The role and active keys of `user`, as last read; nil for no such user.
    func access(of user: String) -> UserAccess? {
        directory.withLock { $0.users[user] }
    }

    /// Whether `key` (base64) is an active key of `user`.
    func isActive(key: String, of user: String) -> Bool {
        directory.withLock { $0.users[user]?.keys.contains(key) ?? false }
    }

    /// The recipients of a drop to `destination`; throws as the catalogue
    /// would when it does not resolve.
    func recipients(of destination: Destination) throws(StoreError) -> [String] {
        let current = directory.withLock { $0 }
        return try current.recipients(of: destination)
    }

    /// The topics any of `users` subscribes to, sorted.
    func topics(subscribedBy users: [String]) -> [String] {
        directory.withLock { $0.topics(subscribedBy: users) }
    }

    /// The catalogue's directory version the view was read at.
    var version: Int64 {
        directory.withLock { $0.version }
    }

    /// Every topic's name, sorted.
    var topicNames: [String] {
        directory.withLock { $0.topicNames }
    }

    /// Starts the timer that keeps the directory fresh.
    func start() {
        timer.start { [weak self] in self?.refreshIfChanged() }
    }

    func stop() {
        timer.stop()
    }

    /// Reads the directory again now, if it changed; waits for it. For the
    /// worker that ran a remote admin command, never a loop.
    func refresh() {
        LoopThread.mayBlock("waiting for the directory to be read again")
        queue.sync { refreshIfChanged() }
    }

    private func refreshIfChanged() {
        do {
            let version = try catalogue.directoryVersion()
            guard version != directory.withLock({ $0.version }) else { return }
            let fresh = try catalogue.directory()
            directory.withLock { $0 = fresh }
        } catch {
            // The last directory stays in force; the next tick tries again.
            logger.error("cannot read users, keys and topics; logins and drops go on with the last ones read",
                         metadata: ["error": "\(error)"])
        }
    }
}
