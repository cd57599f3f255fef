import BatchStore
@testable import BatchServer
import Foundation
import Testing

/// What a quota counts of sealed batches, held in memory: the catalogue's
/// last day to start with, then every seal, and nothing older than a day.
@Suite struct SealedDropsTests {
    @Test func countsTheLastDayPerSourceAndTopicAndForgetsOlderDrops() {
        let now: Int64 = 2_000_000_000
        let drops = SealedDrops([
            SealedDrop(source: "alice", topic: "ops", sealedAt: now - 90_000, bytes: 7),
            SealedDrop(source: "alice", topic: "ops", sealedAt: now - 3_600, bytes: 100),
            SealedDrop(source: "alice", topic: nil, sealedAt: now - 60, bytes: 20),
            SealedDrop(source: "bob", topic: "ops", sealedAt: now - 60, bytes: 3),
        ])
        let aliceOps = QuotaLedger.Key(source: "alice", topic: "ops")
        #expect(drops.recentBytes(for: aliceOps, now: now) == 100)
        #expect(drops.recentBytes(for: QuotaLedger.Key(source: "alice", topic: nil), now: now) == 20)
        #expect(drops.recentBytes(for: QuotaLedger.Key(source: "carol", topic: "ops"), now: now) == 0)
        drops.add(50, for: aliceOps, at: now)
        #expect(drops.recentBytes(for: aliceOps, now: now) == 150)
        // A day after the first, only the newest counts.
        #expect(drops.recentBytes(for: aliceOps, now: now + 86_400 - 3_600 + 1) == 50)
        #expect(drops.recentBytes(for: aliceOps, now: now + 86_401) == 0)
    }

    @Test func batchIDsFollowTheLastOneAndNeverRepeat() {
        let ids = BatchIDs(after: 41)
        let handed = Set((0..<1_000).map { _ in ids.next() })
        #expect(handed.count == 1_000)
        #expect(handed.min() == 42)
        #expect(handed.max() == 1_041)
    }
}
