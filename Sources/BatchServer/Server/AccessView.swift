import BatchCore
import BatchStore
import Dispatch
import Locking
import Logging

/// Users' roles and active keys, kept in memory so that a login or a
/// request on an event loop never reads the catalogue. A timer off the
/// loops asks the catalogue every `interval` whether users or keys changed
/// (`accessStamp`, two aggregate reads) and reads the whole table again
/// when they did; a change by `batchctl`, local or over ssh, is seen within
/// that interval, and a change by a remote `batchctl` at once
/// (`refresh()` after each admin command).
final class AccessView: Sendable {
    private struct State {
        var stamp: [Int64] = []
        var table: [String: UserAccess] = [:]
    }

    private let catalogue: Catalogue
    private let logger: Logger
    /// Guards the table and the stamp it was read at.
    private let state = Locked(State())
    private let queue = DispatchQueue(label: "batchd.access", qos: .userInitiated)
    private let timer: Locked<DispatchSourceTimer?> = Locked(nil)
    static let interval: DispatchTimeInterval = .milliseconds(250)

    /// Reads the table once, so that the first login finds it.
    init(catalogue: Catalogue, logger: Logger) throws(StoreError) {
        self.catalogue = catalogue
        self.logger = logger
        let stamp = try catalogue.accessStamp()
        let table = try catalogue.access()
        state.withLock { $0 = State(stamp: stamp, table: table) }
    }

    /// The role and active keys of `user`, as last read; nil for no such user.
    func access(of user: String) -> UserAccess? {
        state.withLock { $0.table[user] }
    }

    /// Whether `key` (base64) is an active key of `user`.
    func isActive(key: String, of user: String) -> Bool {
        state.withLock { $0.table[user]?.keys.contains(key) ?? false }
    }

    /// Starts the timer that keeps the table fresh.
    func start() {
        let source = DispatchSource.makeTimerSource(queue: queue)
        source.schedule(deadline: .now() + AccessView.interval, repeating: AccessView.interval)
        source.setEventHandler { [weak self] in self?.refreshIfChanged() }
        source.resume()
        timer.withLock { $0 = source }
    }

    func stop() {
        timer.withLock { timer in
            timer?.cancel()
            timer = nil
        }
    }

    /// Reads the table again now, if it changed; waits for it. For the
    /// worker that ran a remote admin command, never a loop.
    func refresh() {
        queue.sync { refreshIfChanged() }
    }

    private func refreshIfChanged() {
        do {
            let stamp = try catalogue.accessStamp()
            guard stamp != state.withLock({ $0.stamp }) else { return }
            let table = try catalogue.access()
            state.withLock { $0 = State(stamp: stamp, table: table) }
        } catch {
            // The last table stays in force; the next tick tries again.
            logger.error("cannot read users and keys; logins go on with the last ones read", metadata: ["error": "\(error)"])
        }
    }
}
