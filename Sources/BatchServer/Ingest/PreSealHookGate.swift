import Locking

/// Runs at most MaxPreSealHooksPerUser pre-seal hooks of one user's
/// batches at a time; the others wait their turn in order, so a user who
/// seals many batches at once cannot take every core or process slot. The
/// lock guards only the table.
final class PreSealHookGate: Sendable {
    private struct Queue {
        var running = 0
        var waiting: [@Sendable (@escaping @Sendable () -> Void) -> Void] = []
    }

    private let queues = Locked<[String: Queue]>([:])

    /// Starts `work` now if `user` has fewer than `limit` hooks running,
    /// later otherwise. `work` gets a closure to call once it is done.
    func run(for user: String, limit: Int, _ work: @escaping @Sendable (_ done: @escaping @Sendable () -> Void) -> Void) {
        let now = queues.withLock { table -> Bool in
            var queue = table[user] ?? Queue()
            defer { table[user] = queue }
            guard queue.running < limit else {
                queue.waiting.append(work)
                return false
            }
            queue.running += 1
            return true
        }
        if now { work { self.finished(for: user) } }
    }

    private func finished(for user: String) {
        let next = queues.withLock { table -> (@Sendable (@escaping @Sendable () -> Void) -> Void)? in
            guard var queue = table[user] else { return nil }
            defer { table[user] = queue.running == 0 && queue.waiting.isEmpty ? nil : queue }
            guard !queue.waiting.isEmpty else {
                queue.running -= 1
                return nil
            }
            return queue.waiting.removeFirst()
        }
        next? { self.finished(for: user) }
    }
}
