import Dispatch
import Locking

/// Every 2 s, off the loops: subscribe channels and upload channels whose
/// key was revoked, or whose user was removed, since they logged in are
/// cut off, against the in-memory directory.
final class RevocationSweep: Sendable {
    static let interval: DispatchTimeInterval = .seconds(2)
    private let timer: Locked<DispatchSourceTimer?> = Locked(nil)
    private let notifier: Notifier
    private let context: IngestContext
    private let access: AccessView

    init(notifier: Notifier, context: IngestContext, access: AccessView) {
        self.notifier = notifier
        self.context = context
        self.access = access
    }

    func start() {
        let source = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
        source.schedule(deadline: .now() + RevocationSweep.interval, repeating: RevocationSweep.interval)
        source.setEventHandler { [notifier, context, access] in
            notifier.checkRevocations(isActive: access.isActive)
            context.credentials.sweep(isActive: access.isActive)
        }
        source.resume()
        timer.withLock { $0 = source }
    }

    func stop() {
        timer.withLock { timer in
            timer?.cancel()
            timer = nil
        }
    }
}
