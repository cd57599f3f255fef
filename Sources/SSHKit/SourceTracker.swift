import Locking

/// Unauthenticated connections and penalties per source address, shared by
/// the accept thread and the event loops.
final class SourceTracker: Sendable {
    private struct Source {
        var unauthenticated = 0
        /// Monotonic nanoseconds until which the penalty runs.
        var penaltyUntil: UInt64 = 0
    }

    private struct Rules {
        var perSourceLimit: Int?
        var policy: PenaltyPolicy?
    }

    private let rules: Locked<Rules>
    private let sources = Locked<[String: Source]>([:])
    /// Sources beyond this many are forgotten once idle and unpenalized,
    /// so a scan from many addresses cannot grow the table without end.
    private static let pruneAbove = 4096

    init(perSourceLimit: Int?, policy: PenaltyPolicy?) {
        rules = Locked(Rules(perSourceLimit: perSourceLimit, policy: policy))
    }

    /// New rules for the connections to come (a reload).
    func update(perSourceLimit: Int?, policy: PenaltyPolicy?) {
        rules.withLock { $0 = Rules(perSourceLimit: perSourceLimit, policy: policy) }
    }

    /// Counts a new connection from `address`, or says why it is refused.
    func admit(_ address: String, now: UInt64 = Monotonic.nanoseconds()) -> String? {
        let (perSourceLimit, policy) = rules.withLock { ($0.perSourceLimit, $0.policy) }
        return sources.withLock { table in
            var source = table[address] ?? Source()
            if let policy, source.penaltyUntil > now {
                let remaining = Double(source.penaltyUntil - now) / 1e9
                if remaining > policy.minimum {
                    return "source penalized for \(Int(remaining.rounded(.up))) s more (PerSourcePenalties)"
                }
            }
            if let perSourceLimit, source.unauthenticated >= perSourceLimit {
                return "too many unauthenticated connections from this source (PerSourceMaxStartups \(perSourceLimit))"
            }
            source.unauthenticated += 1
            table[address] = source
            if table.count > SourceTracker.pruneAbove { SourceTracker.prune(&table, now: now) }
            return nil
        }
    }

    /// The connection from `address` authenticated.
    func authenticated(_ address: String) {
        sources.withLock { table in
            table[address]?.unauthenticated -= 1
            SourceTracker.forgetIfIdle(address, in: &table, now: Monotonic.nanoseconds())
        }
    }

    /// An unauthenticated connection from `address` ended; `offence` says
    /// how, for its penalty.
    func ended(_ address: String, offence: SourceOffence, now: UInt64 = Monotonic.nanoseconds()) {
        let policy = rules.withLock { $0.policy }
        sources.withLock { table in
            guard var source = table[address] else { return }
            source.unauthenticated -= 1
            if let policy {
                let start = max(source.penaltyUntil, now)
                let added = UInt64(policy.seconds(for: offence) * 1e9)
                source.penaltyUntil = min(start + added, now + UInt64(policy.maximum * 1e9))
            }
            table[address] = source
            SourceTracker.forgetIfIdle(address, in: &table, now: now)
        }
    }

    /// How many addresses serve a penalty at `now`.
    func penalizedCount(now: UInt64 = Monotonic.nanoseconds()) -> Int {
        sources.withLock { table in table.values.reduce(0) { $0 + ($1.penaltyUntil > now ? 1 : 0) } }
    }

    private static func forgetIfIdle(_ address: String, in table: inout [String: Source], now: UInt64) {
        if let source = table[address], source.unauthenticated <= 0, source.penaltyUntil <= now {
            table.removeValue(forKey: address)
        }
    }

    private static func prune(_ table: inout [String: Source], now: UInt64) {
        table = table.filter { $0.value.unauthenticated > 0 || $0.value.penaltyUntil > now }
    }
}
