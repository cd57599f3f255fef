/// Why the offer lifecycle refused a target's message or fetch.
public enum OfferRefusal: Sendable, Equatable {
    /// The batch was never offered to the target.
    case notOffered
    /// The offer is in `state` and cannot move to `next`.
    case cannotBecome(OfferState, OfferState)
    /// The offer is in `state`, so the target may not fetch it.
    case notFetchable(OfferState)

    /// The sentence the target is sent.
    public func sentence(batch: Int64, target: String) -> String {
        switch self {
        case .notOffered:
            return "batch \(batch) was not offered to \(target)"
        case .cannotBecome(let state, let next):
            return "batch \(batch) is \(state.rawValue) for \(target); cannot become \(next.rawValue)"
        case .notFetchable(let state):
            return "batch \(batch) is \(state.rawValue) for \(target); accept its offer before fetching"
        }
    }
}
