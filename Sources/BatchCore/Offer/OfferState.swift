/// Where one target is in receiving one batch. `OfferLifecycle` says how
/// it moves.
public enum OfferState: String, Codable, Sendable, CaseIterable, Equatable {
    /// Recorded at seal time, not yet sent to the target.
    case pending
    /// Sent on the target's subscribe channel; no answer yet.
    case offered
    /// The target wants the batch; delivery is planned or running.
    case accepted
    /// The target refused the batch, with a reason.
    case declined
    /// The target holds the whole archive, verified.
    case delivered
    /// Delivery failed, or the batch failed, before the target had it.
    case failed
    /// The batch was purged before the target resolved it.
    case withdrawn

    /// Whether the target's part in this batch is over.
    public var isResolved: Bool {
        switch self {
        case .declined, .delivered, .failed, .withdrawn: return true
        case .pending, .offered, .accepted: return false
        }
    }
}
