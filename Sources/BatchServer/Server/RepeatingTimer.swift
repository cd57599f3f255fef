import Dispatch
import Locking

/// Work run every `interval` on a queue, off the loops, from `start` until
/// `stop`: the sweeps and refreshes batchd keeps going beside its loops.
final class RepeatingTimer: Sendable {
    private let queue: DispatchQueue
    private let interval: DispatchTimeInterval
    private let timer: Locked<DispatchSourceTimer?> = Locked(nil)

    init(queue: DispatchQueue, interval: DispatchTimeInterval) {
        self.queue = queue
        self.interval = interval
    }

    /// Runs `work` first after `delay` (one interval unless given), then every interval.
    func start(after delay: DispatchTimeInterval? = nil, _ work: @escaping @Sendable () -> Void) {
        let source = DispatchSource.makeTimerSource(queue: queue)
        source.schedule(deadline: .now() + (delay ?? interval), repeating: interval)
        source.setEventHandler(handler: work)
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
