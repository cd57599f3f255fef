import BatchCore
import Dispatch
import Locking

/// Off the loops: subscribe channels and upload channels whose key was
/// revoked, or whose user was removed, since they logged in are cut off,
/// against the in-memory directory, at the 2 s ticks `RevocationSchedule`
/// picks: the two after each change to the directory, none while nothing
/// changes, so thousands of idle subscribers cost nothing.
final class RevocationSweep: Sendable {
    private let timer = RepeatingTimer(queue: .global(qos: .utility), interval: .seconds(2))
    private let notifier: Notifier
    private let context: IngestContext
    private let access: AccessView
    private let schedule = Locked(RevocationSchedule())

    init(notifier: Notifier, context: IngestContext, access: AccessView) {
        self.notifier = notifier
        self.context = context
        self.access = access
    }

    func start() {
        timer.start { [self] in
            let version = access.version
            guard schedule.withLock({ $0.due(version: version) }) else { return }
            notifier.checkRevocations(isActive: access.isActive)
            context.credentials.sweep(isActive: access.isActive)
        }
    }

    func stop() {
        timer.stop()
    }
}
