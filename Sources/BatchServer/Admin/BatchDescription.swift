import BatchStore
import Foundation

/// The human-readable form of `batchctl batch show`.
struct BatchDescription {
    let batch: BatchDetail

    init(_ batch: BatchDetail) {
        self.batch = batch
    }

    var lines: [String] {
        var summary = TextTable(header: ["batch", String(batch.id)])
        summary.append(["source", batch.source])
        summary.append(["destination", batch.destination])
        summary.append(["state", batch.state.rawValue + (batch.failure.map { " (\($0))" } ?? "")])
        summary.append(["created", Self.date(batch.createdAt)])
        if let sealedAt = batch.sealedAt { summary.append(["sealed", Self.date(sealedAt)]) }
        if let purgedAt = batch.purgedAt { summary.append(["purged", Self.date(purgedAt)]) }
        if let size = batch.size { summary.append(["size", "\(size) bytes"]) }
        if let sha256 = batch.sha256 { summary.append(["sha256", sha256]) }
        if let pieceSize = batch.pieceSize { summary.append(["pieces", "\(batch.pieceCount) of \(pieceSize) bytes"]) }
        if let archive = batch.archive { summary.append(["archive", archive]) }
        var lines = summary.lines

        lines.append("files (\(batch.files.count)):")
        var files = TextTable(header: ["  SIZE", "PATH"])
        for file in batch.files {
            files.append(["  \(file.size)", file.path])
        }
        if !batch.files.isEmpty { lines += files.lines }

        lines.append("targets (\(batch.targets.count)):")
        var targets = TextTable(header: ["  USER", "STATE", "DETAIL"])
        for target in batch.targets {
            targets.append(["  " + target.user, target.state.rawValue, Self.detail(target)])
        }
        if !batch.targets.isEmpty { lines += targets.lines }
        return lines
    }

    private static func detail(_ target: BatchDetail.Target) -> String {
        var parts: [String] = []
        if let reason = target.reason { parts.append(reason) }
        if !target.receivedFrom.isEmpty {
            let sources = target.receivedFrom.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            parts.append("received from " + sources.joined(separator: ", "))
        }
        return parts.isEmpty ? "-" : parts.joined(separator: "; ")
    }

    private static func date(_ seconds: Int64) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}
