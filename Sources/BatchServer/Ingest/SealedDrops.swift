import BatchStore
import Foundation
import Locking

/// What each source's sealed batches took per topic over the last 24 hours,
/// in memory, so that the quota check as a file opens (`BatchBudget`)
/// reads no catalogue on its loop. It starts from the catalogue's drops of
/// the last day and takes every seal this server records after.
final class SealedDrops: Sendable {
    static let window: Int64 = 86_400
    private let drops: Locked<[QuotaLedger.Key: [(sealedAt: Int64, bytes: Int64)]]>

    init(_ initial: [SealedDrop]) {
        var map: [QuotaLedger.Key: [(sealedAt: Int64, bytes: Int64)]] = [:]
        for drop in initial {
            map[QuotaLedger.Key(source: drop.source, topic: drop.topic), default: []].append((drop.sealedAt, drop.bytes))
        }
        drops = Locked(map)
    }

    /// A batch of `key` was sealed with `bytes` of files.
    func add(_ bytes: Int64, for key: QuotaLedger.Key, at time: Int64 = SealedDrops.now) {
        drops.withLock { $0[key, default: []].append((time, bytes)) }
    }

    /// The bytes `key`'s batches sealed in the last 24 hours took; older
    /// drops are forgotten.
    func recentBytes(for key: QuotaLedger.Key, now: Int64 = SealedDrops.now) -> Int64 {
        drops.withLock { map in
            guard var entries = map[key] else { return 0 }
            entries.removeAll { $0.sealedAt < now - SealedDrops.window }
            map[key] = entries.isEmpty ? nil : entries
            return entries.reduce(0) { $0 + $1.bytes }
        }
    }

    static var now: Int64 { Int64(Date().timeIntervalSince1970) }
}
