import BatchCore
import BatchStore
import Dispatch
import Foundation
import Locking
import Testing

/// The catalogue applies each offer event in one transaction, through the
/// lifecycle: what it records is what `OfferLifecycle` said, and answers
/// that race cannot both move an offer.
@Suite struct OfferTransitionTests {
    @Test func anEventIsRecordedAsTheLifecycleSays() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        let id = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
        try catalogue.sealBatch(id: id, archivePath: "/a", summary: sampleSeal, files: sampleFiles)
        try catalogue.markOffered(batch: id, target: "bob")
        #expect(try catalogue.applyOffer(.accept, batch: id, target: "bob")
            == OfferLifecycle.Outcome(state: .accepted, actions: [.record(.accepted, detail: nil), .plan(.taker)]))
        let delivered = try catalogue.applyOffer(.deliver(receivedFrom: ["server": 100, "carol": 1134]), batch: id, target: "bob")
        #expect(delivered.state == .delivered)
        let bob = try #require(try catalogue.batch(id: id)?.targets.first { $0.user == "bob" })
        #expect(bob.state == .delivered)
        // The peer's bytes are counted with the delivery; the server counts its own as it serves.
        #expect(bob.receivedFrom == ["carol": 1134])
        #expect(try catalogue.offerEvents(batch: id).filter { $0.target == "bob" }.map(\.event)
            == [.pending, .offered, .accepted, .delivered])
        #expect(try catalogue.offerEvents(batch: id).last?.detail == "from carol 1.1 KB, server 100 B")
        // A resolved offer refuses another answer, and nothing is recorded.
        #expect(try catalogue.applyOffer(.decline(reason: "late"), batch: id, target: "bob").actions
            == [.refuse(.cannotBecome(.delivered, .declined))])
        #expect(try catalogue.applyOffer(.accept, batch: id, target: "nobody").actions == [.refuse(.notOffered)])
        #expect(try catalogue.offerEvents(batch: id).count == 5)
    }

    @Test func offersMarkedSentTogetherMoveAsEachWouldAlone() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        let first = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
        try catalogue.sealBatch(id: first, archivePath: "/a", summary: sampleSeal, files: sampleFiles)
        let second = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
        try catalogue.sealBatch(id: second, archivePath: "/b", summary: sampleSeal, files: sampleFiles)
        _ = try catalogue.applyOffer(.accept, batch: first, target: "carol")
        // bob pending, carol accepted, bob twice (two channels), a target
        // with no offer; and a second batch in the same call.
        try catalogue.markOffered([
            OfferKey(batch: first, target: "bob"), OfferKey(batch: first, target: "carol"),
            OfferKey(batch: first, target: "bob"), OfferKey(batch: first, target: "root"),
            OfferKey(batch: second, target: "carol"),
        ])
        #expect(try catalogue.offerState(batch: first, target: "bob") == .offered)
        #expect(try catalogue.offerState(batch: first, target: "carol") == .accepted)
        #expect(try catalogue.offerState(batch: first, target: "root") == nil)
        #expect(try catalogue.offerState(batch: second, target: "carol") == .offered)
        #expect(try catalogue.offerState(batch: second, target: "bob") == .pending)
        let events = try catalogue.offerEvents(batch: first)
        #expect(events.filter { $0.target == "bob" }.map(\.event) == [.pending, .offered])
        #expect(events.filter { $0.target == "carol" }.map(\.event) == [.pending, .accepted])
        // Sent again after a reconnect: nothing new.
        try catalogue.markOffered([OfferKey(batch: first, target: "bob")])
        #expect(try catalogue.offerEvents(batch: first).count == events.count)
    }

    @Test func racingAnswersMoveAnOfferOnce() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        for _ in 0..<20 {
            let id = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
            try catalogue.sealBatch(id: id, archivePath: "/a", summary: sampleSeal, files: sampleFiles)
            let outcomes = Locked<[OfferLifecycle.Outcome]>([])
            DispatchQueue.concurrentPerform(iterations: 2) { index in
                let event: OfferLifecycle.Event = index == 0 ? .accept : .decline(reason: "no room")
                if let outcome = try? catalogue.applyOffer(event, batch: id, target: "bob") {
                    outcomes.withLock { $0.append(outcome) }
                }
            }
            let both = outcomes.withLock { $0 }
            #expect(both.count == 2)
            let events = try catalogue.offerEvents(batch: id).filter { $0.target == "bob" }.map(\.event)
            // Accepted then declined, or declined with the accept refused: never both from pending.
            #expect(events == [.pending, .accepted, .declined] || events == [.pending, .declined])
            if events == [.pending, .declined] {
                #expect(both.contains { $0.actions == [.refuse(.cannotBecome(.declined, .accepted))] })
            }
        }
    }
}
