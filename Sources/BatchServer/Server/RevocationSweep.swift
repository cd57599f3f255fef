import Dispatch

/// Every 2 s, off the loops: subscribe channels and upload channels whose
/// key was revoked, or whose user was removed, since they logged in are
/// cut off, against the in-memory directory.
final class RevocationSweep: Sendable {
    private let timer = RepeatingTimer(queue: .global(qos: .utility), interval: .seconds(2))
    private let notifier: Notifier
    private let context: IngestContext
    private let access: AccessView

    init(notifier: Notifier, context: IngestContext, access: AccessView) {
        self.notifier = notifier
        self.context = context
        self.access = access
    }

    func start() {
        timer.start { [notifier, context, access] in
            notifier.checkRevocations(isActive: access.isActive)
            context.credentials.sweep(isActive: access.isActive)
        }
    }

    func stop() {
        timer.stop()
    }
}
