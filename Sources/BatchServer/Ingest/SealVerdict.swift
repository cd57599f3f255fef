import Locking

/// The outcome of one batch's seal, for everyone who waits for it: the
/// channel of a legacy `scp` that wrote to it, a `seal` command, shutdown.
/// Waiters that come after the outcome is known get it at once.
final class SealVerdict: Sendable {
    private struct State {
        var outcome: SealOutcome?
        var waiters: [@Sendable (SealOutcome) -> Void] = []
    }

    /// Guards the outcome and the waiters not yet told.
    private let state = Locked(State())

    /// Calls `waiter` with the outcome, now if it is known, else when it is
    /// (on the thread that records it).
    func wait(_ waiter: @escaping @Sendable (SealOutcome) -> Void) {
        let known = state.withLock { state -> SealOutcome? in
            if state.outcome == nil { state.waiters.append(waiter) }
            return state.outcome
        }
        if let known { waiter(known) }
    }

    /// Records the outcome and tells every waiter; only the first counts.
    func resolve(_ outcome: SealOutcome) {
        let waiters = state.withLock { state -> [@Sendable (SealOutcome) -> Void] in
            guard state.outcome == nil else { return [] }
            state.outcome = outcome
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter(outcome) }
    }

    var outcome: SealOutcome? { state.withLock { $0.outcome } }
}
