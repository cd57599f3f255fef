/// The lifecycle of one offer (one batch to one target) as one pure state
/// machine: given where the offer stands and what happened, it says where
/// it goes and what that causes. It does nothing itself: the catalogue
/// records (`record`, `countReceived`) in the same transaction that read the
/// state, and the server performs the rest (sends on the subscribe
/// channel, plans relays, serves pieces).
///
///     nil ──sealed──▶ pending ──sent──▶ offered
///     pending, offered ──accept──▶ accepted ──deliver──▶ delivered
///     pending, offered, accepted ──decline──▶ declined
///     pending, offered, accepted ──fail──▶ failed
///     pending, offered, accepted ──withdraw──▶ withdrawn
///
/// Repeating the answer an offer already has records nothing (a receiver
/// that resends `accept` after a reconnect is not refused, and is sent its
/// plan again); any other answer to a resolved offer is refused with a
/// sentence.
public enum OfferLifecycle {
    /// What happened to the offer.
    public enum Event: Sendable, Equatable {
        /// The batch sealed with this target among its recipients.
        case sealed
        /// The target's subscribe channel opened.
        case subscribed
        /// The offer was written on the target's subscribe channel.
        case sent
        /// The target accepts the batch.
        case accept
        /// The target declines it, saying why.
        case decline(reason: String)
        /// The target holds the verified archive, with the bytes it had
        /// from each source.
        case deliver(receivedFrom: [String: Int64])
        /// The target's delivery failed, or the batch failed.
        case fail(reason: String)
        /// The batch was purged.
        case withdraw(reason: String)
        /// The target asks the server for pieces.
        case fetch
    }

    /// Who gets a new relay plan after an event.
    public enum Replan: Sendable, Equatable {
        /// The target that just accepted, and the targets that serve peers
        /// (their grants now name it).
        case taker
        /// Every accepted target: a source went away.
        case everyone
    }

    /// What an event causes.
    public enum Action: Sendable, Equatable {
        /// Record the offer in `state`, with `detail` in its history.
        case record(OfferState, detail: String?)
        /// Add what the target received from each peer source (the server
        /// counts what it serves itself).
        case countReceived([String: Int64])
        /// Send the offer on the target's subscribe channel.
        case sendOffer
        /// Tell the target the offer is gone, and why.
        case sendWithdrawn(reason: String)
        /// Send relay plans.
        case plan(Replan)
        /// Serve the target the pieces it asked for.
        case serve
        /// The offer is over for the target's channel: it stops tracking it.
        case forget
        /// Tell the target its message was refused.
        case refuse(OfferRefusal)
    }

    /// Where an offer goes and what that causes.
    public struct Outcome: Sendable, Equatable {
        /// The offer's state afterwards; nil when there is no offer.
        public var state: OfferState?
        public var actions: [Action]

        public init(state: OfferState?, actions: [Action]) {
            self.state = state
            self.actions = actions
        }
    }

    /// The outcome of `event` for an offer in `state` (nil: no offer).
    public static func apply(_ event: Event, to state: OfferState?) -> Outcome {
        guard let state else {
            if event == .sealed { return Outcome(state: .pending, actions: [.record(.pending, detail: nil), .sendOffer]) }
            if event.isAnswer || event == .fetch { return Outcome(state: nil, actions: [.refuse(.notOffered)]) }
            return Outcome(state: nil, actions: [])
        }
        let unchanged = Outcome(state: state, actions: [])
        switch event {
        case .sealed:
            return unchanged
        case .subscribed:
            return state.isResolved ? unchanged : Outcome(state: state, actions: [.sendOffer])
        case .sent:
            return state == .pending ? Outcome(state: .offered, actions: [.record(.offered, detail: nil)]) : unchanged
        case .accept:
            // A receiver back after a reconnect accepts again: nothing
            // changes, but it needs its plan again.
            if state == .accepted { return Outcome(state: state, actions: [.plan(.taker)]) }
            return answer(state, to: .accepted, from: [.pending, .offered],
                          actions: [.record(.accepted, detail: nil), .plan(.taker)])
        case .decline(let reason):
            return answer(state, to: .declined, from: [.pending, .offered, .accepted],
                          actions: [.record(.declined, detail: reason), .forget])
        case .deliver(let receivedFrom):
            let sources = receivedFrom.filter { $0.value > 0 }
            let peers = sources.filter { $0.key != PlanSource.serverName }
            // "from bob 2.0 MB, server 1.1 MB": who gave what, for `watch`.
            let from = sources.sorted { $0.key < $1.key }
                .map { "\($0.key) \(ByteCountText.format($0.value))" }.joined(separator: ", ")
            return answer(state, to: .delivered, from: [.accepted], actions: (peers.isEmpty ? [] : [.countReceived(peers)])
                + [.record(.delivered, detail: from.isEmpty ? nil : "from \(from)"), .forget])
        case .fail(let reason):
            return answer(state, to: .failed, from: [.pending, .offered, .accepted],
                          actions: [.record(.failed, detail: reason), .plan(.everyone), .forget])
        case .withdraw(let reason):
            return state.isResolved ? unchanged : Outcome(state: .withdrawn, actions: [
                .record(.withdrawn, detail: reason), .sendWithdrawn(reason: reason), .forget,
            ])
        case .fetch:
            // A delivered target may fetch again: a receiver that lost its
            // copy before landing it asks once more.
            return state == .accepted || state == .delivered
                ? Outcome(state: state, actions: [.serve])
                : Outcome(state: state, actions: [.refuse(.notFetchable(state))])
        }
    }

    private static func answer(_ state: OfferState, to next: OfferState, from allowed: Set<OfferState>,
                               actions: [Action]) -> Outcome {
        if state == next { return Outcome(state: state, actions: []) }
        guard allowed.contains(state) else { return Outcome(state: state, actions: [.refuse(.cannotBecome(state, next))]) }
        return Outcome(state: next, actions: actions)
    }
}

extension OfferLifecycle.Event {
    /// Whether the target sent it, answering the offer.
    public var isAnswer: Bool {
        switch self {
        case .accept, .decline, .deliver, .fail: return true
        case .sealed, .subscribed, .sent, .withdraw, .fetch: return false
        }
    }
}
