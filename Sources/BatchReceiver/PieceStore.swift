import BatchCore
import Foundation
import Locking

/// The pieces of one batch this target holds, verified, in its `.part`
/// file (later the inbox archive: the renamed file keeps its descriptor).
/// Shared by the delivery thread that fills it and the peer listener that
/// serves from it, so a piece is served as soon as it is verified and
/// relays pipeline. The mutex guards the held set and the watchers.
final class PieceStore: Sendable {
    let offer: Offer
    let descriptor: Int32
    private let state: Locked<(held: Set<Int>, watchers: [Int: @Sendable () -> Void], nextWatcher: Int)>

    /// - Precondition: `offer.piecesListed`: a delivery fetches a list the
    ///   offer left out before it stores a piece (``PieceListFetch``).
    init(offer: Offer, descriptor: Int32, held: Set<Int>) {
        precondition(offer.piecesListed, "batch \(offer.batch): a piece store needs the offer's piece list")
        self.offer = offer
        self.descriptor = descriptor
        state = Locked((held, [:], 0))
    }

    deinit {
        close(descriptor)
    }

    var held: Set<Int> { state.withLock { $0.held } }
    var isComplete: Bool { state.withLock { $0.held.count == offer.pieceCount } }

    func holds(_ piece: Int) -> Bool {
        state.withLock { $0.held.contains(piece) }
    }

    /// Records a verified piece and tells every watcher.
    func add(_ piece: Int) {
        let watchers = state.withLock { state -> [@Sendable () -> Void] in
            state.held.insert(piece)
            return Array(state.watchers.values)
        }
        watchers.forEach { $0() }
    }

    /// Forgets pieces found bad after all; they are fetched again.
    func remove(_ pieces: [Int]) {
        state.withLock { $0.held.subtract(pieces) }
    }

    /// Calls `watcher` (on the adding thread) each time a piece is added;
    /// returns a token for `unwatch`.
    func watch(_ watcher: @escaping @Sendable () -> Void) -> Int {
        state.withLock { state in
            state.nextWatcher += 1
            state.watchers[state.nextWatcher] = watcher
            return state.nextWatcher
        }
    }

    func unwatch(_ token: Int) {
        _ = state.withLock { $0.watchers.removeValue(forKey: token) }
    }

    /// Reads a held piece's bytes.
    func read(_ piece: Int, into buffer: inout [UInt8]) -> Int {
        let range = offer.range(ofPiece: piece)
        let count = Int(range.count)
        if buffer.count < count { buffer = [UInt8](repeating: 0, count: count) }
        return buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, count, off_t(range.lowerBound)) }
    }
}
