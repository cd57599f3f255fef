import Foundation
import Synchronization

/// Faults the end-to-end tests inject to prove that receivers never trust
/// what they are sent. Set only by tests, through the environment:
/// `BATCHD_TEST_CORRUPT_PIECE=BATCH:PIECE` flips one byte of that piece the
/// first time it is served. Unset, nothing here has any effect.
final class FaultInjection: Sendable {
    private let corruptPiece: (batch: Int64, piece: Int)?
    private let used = Atomic<Bool>(false)

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let parts = environment["BATCHD_TEST_CORRUPT_PIECE"]?.split(separator: ":").compactMap { Int($0) } ?? []
        corruptPiece = parts.count == 2 ? (Int64(parts[0]), parts[1]) : nil
    }

    /// Whether the piece at `piece` of `batch` should be served corrupted now.
    func shouldCorrupt(batch: Int64, piece: Int) -> Bool {
        guard let target = corruptPiece, target.batch == batch, target.piece == piece else { return false }
        return !used.exchange(true, ordering: .relaxed)
    }
}
