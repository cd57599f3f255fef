import BatchArchive
import BatchStore

/// One line of `batchctl batch verify`: a sealed batch and what re-reading
/// its archive found.
struct ArchiveVerification: Encodable {
    let batch: Int64
    let archive: String
    /// The recorded archive size.
    let size: Int64
    let pieceCount: Int
    let check: ArchiveCheck

    var isIntact: Bool { check == .intact }

    /// `ok`, `corrupt`, `missing` or `unreadable`.
    var result: String {
        switch check {
        case .intact: return "ok"
        case .corrupt: return "corrupt"
        case .missing: return "missing"
        case .unreadable: return "unreadable"
        }
    }

    /// What is wrong, in a sentence; nil when intact.
    var detail: String? {
        switch check {
        case .intact:
            return nil
        case .missing:
            return "\(archive) is not there"
        case .unreadable(let reason):
            return "\(archive): \(reason)"
        case .corrupt(let found, let pieces):
            var parts: [String] = []
            if found != UInt64(size) { parts.append("\(found) bytes instead of \(size)") }
            if pieces.isEmpty {
                parts.append("its SHA-256 differs from the recorded one")
            } else {
                let list = pieces.prefix(10).map(String.init).joined(separator: ", ") + (pieces.count > 10 ? ", …" : "")
                let noun = pieces.count == 1 ? "piece \(list) of \(pieceCount) differs" : "pieces \(list) of \(pieceCount) differ"
                parts.append(noun + " from the recorded SHA-256")
            }
            return parts.joined(separator: "; ")
        }
    }

    /// The line the table prints.
    var line: String {
        if let detail { return "batch \(batch): \(result): \(detail)" }
        return "batch \(batch): ok (\(size) bytes, \(pieceCount) piece\(pieceCount == 1 ? "" : "s"))"
    }

    /// Indexes of the pieces that differ; empty unless corrupt.
    var badPieces: [Int] {
        if case .corrupt(_, let pieces) = check { return pieces }
        return []
    }

    enum CodingKeys: String, CodingKey {
        case batch = "id"
        case archive, size, result, detail
        case pieceCount = "piece_count"
        case badPieces = "bad_pieces"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(batch, forKey: .batch)
        try c.encode(archive, forKey: .archive)
        try c.encode(size, forKey: .size)
        try c.encode(pieceCount, forKey: .pieceCount)
        try c.encode(result, forKey: .result)
        try c.encode(badPieces, forKey: .badPieces)
        try c.encode(detail, forKey: .detail)
    }
}
