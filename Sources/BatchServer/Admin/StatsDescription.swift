import BatchCore
import BatchStore
import Foundation

/// The human-readable form of `batchctl stats`: one line per figure, then
/// a table of the targets.
struct StatsDescription {
    let stats: Stats

    init(_ stats: Stats) {
        self.stats = stats
    }

    var lines: [String] {
        let offerStates = OfferState.allCases.map(\.rawValue)
        var lines = [
            "users: " + Self.counts(stats.users, order: Role.allCases.map(\.rawValue)),
            "topics: \(stats.topics)",
            "batches: " + Self.counts(stats.batches, order: BatchState.allCases.map(\.rawValue)),
            "sealed bytes: " + Self.bytes(stats.sealedBytes),
            "dropped bytes: " + Self.bytes(stats.droppedBytes) + " in all, " + Self.bytes(stats.droppedBytesLastDay) + " in the last 24 h",
            "offers: " + Self.counts(stats.offers, order: offerStates),
            "deliveries: \(stats.deliveries)",
            "relay share: \(stats.relay.serverBytes) bytes from the server, \(stats.relay.peerBytes) from peers"
                + String(format: " (%.1f%% relayed)", stats.relay.peerFraction * 100),
            "targets (\(stats.targets.count)):",
        ]
        var table = TextTable(header: ["  USER", "TOPICS"] + offerStates.map { $0.uppercased() } + ["RECEIVED", "LAST DELIVERY"])
        for target in stats.targets {
            table.append(["  " + target.user, String(target.topics)]
                         + offerStates.map { String(target.offers[$0] ?? 0) }
                         + [String(target.receivedBytes), target.lastDeliveryAt.map(Self.date) ?? "-"])
        }
        if !stats.targets.isEmpty { lines += table.lines }
        return lines
    }

    private static func counts(_ values: [String: Int], order: [String]) -> String {
        order.map { "\(values[$0] ?? 0) \($0)" }.joined(separator: ", ")
    }

    /// Exact bytes, and in a unit people read at a glance.
    private static func bytes(_ count: Int64) -> String {
        count < 1000 ? "\(count)" : "\(count) (\(ByteCountText.format(count)))"
    }

    private static func date(_ seconds: Int64) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}
