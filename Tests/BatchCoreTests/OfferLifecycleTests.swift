import BatchCore
import Testing

/// Every (state, event) pair of the offer lifecycle, against a table
/// written out here by hand: where the offer goes, and what that causes.
@Suite struct OfferLifecycleTests {
    typealias Event = OfferLifecycle.Event
    typealias Action = OfferLifecycle.Action

    static let events: [(name: String, event: Event)] = [
        ("sealed", .sealed), ("subscribed", .subscribed), ("sent", .sent), ("accept", .accept),
        ("decline", .decline(reason: "no room")), ("deliver", .deliver(receivedFrom: ["server": 10, "carol": 20, "dave": 0])),
        ("fail", .fail(reason: "disk full")), ("withdraw", .withdraw(reason: "batch purged: expired")), ("fetch", .fetch),
    ]

    /// nil stands for "no offer"; "=" for "stays as it is".
    static let next: [String: [String: String]] = [
        "none": ["sealed": "pending", "subscribed": "none", "sent": "none", "accept": "none", "decline": "none",
                 "deliver": "none", "fail": "none", "withdraw": "none", "fetch": "none"],
        "pending": ["sealed": "=", "subscribed": "=", "sent": "offered", "accept": "accepted", "decline": "declined",
                    "deliver": "=", "fail": "failed", "withdraw": "withdrawn", "fetch": "="],
        "offered": ["sealed": "=", "subscribed": "=", "sent": "=", "accept": "accepted", "decline": "declined",
                    "deliver": "=", "fail": "failed", "withdraw": "withdrawn", "fetch": "="],
        "accepted": ["sealed": "=", "subscribed": "=", "sent": "=", "accept": "=", "decline": "declined",
                     "deliver": "delivered", "fail": "failed", "withdraw": "withdrawn", "fetch": "="],
        "declined": ["sealed": "=", "subscribed": "=", "sent": "=", "accept": "=", "decline": "=",
                     "deliver": "=", "fail": "=", "withdraw": "=", "fetch": "="],
        "delivered": ["sealed": "=", "subscribed": "=", "sent": "=", "accept": "=", "decline": "=",
                      "deliver": "=", "fail": "=", "withdraw": "=", "fetch": "="],
        "failed": ["sealed": "=", "subscribed": "=", "sent": "=", "accept": "=", "decline": "=",
                   "deliver": "=", "fail": "=", "withdraw": "=", "fetch": "="],
        "withdrawn": ["sealed": "=", "subscribed": "=", "sent": "=", "accept": "=", "decline": "=",
                      "deliver": "=", "fail": "=", "withdraw": "=", "fetch": "="],
    ]

    /// The pairs that are refused, with the refusal.
    static func refusal(_ state: OfferState?, _ name: String) -> OfferRefusal? {
        guard let state else { return ["accept", "decline", "deliver", "fail", "fetch"].contains(name) ? .notOffered : nil }
        switch name {
        case "accept" where ![.pending, .offered, .accepted].contains(state): return .cannotBecome(state, .accepted)
        case "decline" where ![.pending, .offered, .accepted, .declined].contains(state): return .cannotBecome(state, .declined)
        case "deliver" where ![.accepted, .delivered].contains(state): return .cannotBecome(state, .delivered)
        case "fail" where ![.pending, .offered, .accepted, .failed].contains(state): return .cannotBecome(state, .failed)
        case "fetch" where ![.accepted, .delivered].contains(state): return .notFetchable(state)
        default: return nil
        }
    }

    /// What a move causes, by the state it moves to.
    static func actions(movingTo state: OfferState, on name: String) -> [Action] {
        switch state {
        case .pending: return [.record(.pending, detail: nil), .sendOffer]
        case .offered: return [.record(.offered, detail: nil)]
        case .accepted: return [.record(.accepted, detail: nil), .plan(.taker)]
        case .declined: return [.record(.declined, detail: "no room"), .forget]
        case .delivered: return [.countReceived(["carol": 20]), .record(.delivered, detail: "from carol 20 B, server 10 B"), .forget]
        case .failed: return [.record(.failed, detail: "disk full"), .plan(.everyone), .forget]
        case .withdrawn:
            return [.record(.withdrawn, detail: "batch purged: expired"), .sendWithdrawn(reason: "batch purged: expired"), .forget]
        }
    }

    @Test func theTableNamesEveryStateAndEvent() {
        #expect(Set(Self.next.keys) == Set(["none"] + OfferState.allCases.map(\.rawValue)))
        for row in Self.next.values { #expect(Set(row.keys) == Set(Self.events.map(\.name))) }
    }

    @Test(arguments: [nil] + OfferState.allCases.map(Optional.some))
    func everyEventFrom(_ state: OfferState?) throws {
        let row = try #require(Self.next[state?.rawValue ?? "none"])
        for (name, event) in Self.events {
            let outcome = OfferLifecycle.apply(event, to: state)
            let spelled = try #require(row[name])
            let expected: OfferState? = spelled == "=" ? state : (spelled == "none" ? nil : OfferState(rawValue: spelled))
            #expect(outcome.state == expected, "\(state?.rawValue ?? "none") on \(name)")
            var actions: [Action]
            if let refusal = Self.refusal(state, name) {
                actions = [.refuse(refusal)]
            } else if let expected, expected != state {
                actions = Self.actions(movingTo: expected, on: name)
            } else {
                actions = []
            }
            if name == "subscribed", let state, !state.isResolved { actions = [.sendOffer] }
            if name == "fetch", state == .accepted || state == .delivered { actions = [.serve] }
            // A receiver back after a reconnect accepts again and is sent its plan again.
            if name == "accept", state == .accepted { actions = [.plan(.taker)] }
            #expect(outcome.actions == actions, "\(state?.rawValue ?? "none") on \(name)")
        }
    }

    @Test func aDeliveryFromTheServerAloneCountsNothingOfPeers() {
        let outcome = OfferLifecycle.apply(.deliver(receivedFrom: ["server": 100]), to: .accepted)
        #expect(outcome.actions == [.record(.delivered, detail: "from server 100 B"), .forget])
        let nothing = OfferLifecycle.apply(.deliver(receivedFrom: [:]), to: .accepted)
        #expect(nothing.actions == [.record(.delivered, detail: nil), .forget])
    }

    @Test func refusalsReadAsSentences() {
        #expect(OfferRefusal.notOffered.sentence(batch: 4, target: "bob") == "batch 4 was not offered to bob")
        #expect(OfferRefusal.cannotBecome(.declined, .accepted).sentence(batch: 4, target: "bob")
            == "batch 4 is declined for bob; cannot become accepted")
        #expect(OfferRefusal.notFetchable(.offered).sentence(batch: 4, target: "bob")
            == "batch 4 is offered for bob; accept its offer before fetching")
    }
}
