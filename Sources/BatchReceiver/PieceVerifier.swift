import BatchArchive
import BatchCore
import Crypto
import Dispatch
import Foundation
import Locking

/// Checks whole pieces against the offer's hashes on a queue of its own,
/// so the thread reading the network never waits for SHA-256: on two
/// cores, decrypting and hashing then overlap. The reader has written the
/// bytes to the `.part` file already; a piece counts as held only once it
/// is checked here. At most `depth` pieces wait at once; a reader that
/// outruns the verifier waits for a slot.
///
/// A piece may also be kept unchecked, on the word of a source that is
/// trusted (the server, to a target that serves no peers): the whole
/// archive's SHA-256 then vouches for it, and only if that fails are such
/// pieces checked one by one (`recheck`), so the bad ones are fetched
/// again instead of the whole batch.
///
/// `@unchecked Sendable`: `wholeHasher`, `hashedPieces` and `unchecked`
/// are touched only on `queue`; the results the reader collects are under
/// a lock.
final class PieceVerifier: @unchecked Sendable {
    let store: PieceStore
    var offer: Offer { store.offer }
    private let queue = DispatchQueue(label: "piece-verifier", qos: .userInitiated)
    private let slots: DispatchSemaphore

    private struct Results {
        /// Bytes of pieces verified and kept since the reader last collected.
        var kept: Int64 = 0
        /// Pieces whose bytes did not match their hash.
        var rejected: [Int] = []
        /// Piece buffers handed back for reuse.
        var spare: [[UInt8]] = []
    }

    private let results = Locked(Results())
    // Touched only on `queue`:
    private var wholeHasher = SHA256()
    private var hashedPieces = 0
    /// Pieces kept without their own hash checked.
    private var unchecked = Set<Int>()

    init(store: PieceStore, depth: Int = 4) {
        self.store = store
        slots = DispatchSemaphore(value: depth)
    }

    /// A buffer of `count` bytes to fill with a piece: a used one of that
    /// size when one is spare (its old bytes are all overwritten).
    func emptyBuffer(count: Int) -> [UInt8] {
        let reused = results.withLock { results -> [UInt8]? in
            guard let index = results.spare.lastIndex(where: { $0.count == count }) else { return nil }
            return results.spare.remove(at: index)
        }
        return reused ?? [UInt8](repeating: 0, count: count)
    }

    /// Queues piece `index`, whose bytes are `bytes` (already in the
    /// `.part` file), to be checked (unless `check` is false) and counted
    /// held; waits while `depth` pieces are already waiting.
    func submit(_ bytes: [UInt8], piece index: Int, check: Bool = true) {
        slots.wait()
        queue.async { [self] in
            verify(bytes, piece: index, check: check)
            results.withLock { $0.spare.append(bytes) }
            slots.signal()
        }
    }

    /// The bytes of pieces kept since the last call.
    func collect() -> Int64 {
        results.withLock { results in
            defer { results.kept = 0 }
            return results.kept
        }
    }

    /// Waits until every piece submitted so far is checked and counted.
    func drain() {
        queue.sync {}
    }

    /// Pieces that arrived with the wrong hash since the last `clearRejected`.
    var rejected: [Int] { results.withLock { $0.rejected } }

    func clearRejected() {
        results.withLock { $0.rejected.removeAll() }
    }

    /// The whole archive's SHA-256 once every piece is held, after the
    /// pieces waiting are done: hashed as pieces arrived in order, reading
    /// back only those that did not.
    func wholeDigest() -> String? {
        queue.sync {
            advanceWholeHash(with: nil, index: -1)
            guard hashedPieces == offer.pieceCount else { return nil }
            return wholeHasher.finalize().hexString
        }
    }

    /// Checks each piece kept unchecked against its hash, once the whole
    /// archive's SHA-256 did not match: those that fail are no longer held
    /// (to be fetched again), and the whole hash starts over. Returns them;
    /// none means the pieces are as the offer says and its SHA-256 is not.
    func recheck() -> [Int] {
        queue.sync {
            var bad: [Int] = []
            var scratch: [UInt8] = []
            for index in unchecked.sorted() {
                let count = store.read(index, into: &scratch)
                if count != Int(offer.range(ofPiece: index).count)
                    || SHA256.hash(data: scratch[0 ..< count]).hexString != offer.pieces[index] {
                    bad.append(index)
                }
            }
            unchecked.removeAll()
            store.remove(bad)
            wholeHasher = SHA256()
            hashedPieces = 0
            return bad
        }
    }

    private func verify(_ bytes: [UInt8], piece index: Int, check: Bool) {
        if check, SHA256.hash(data: bytes).hexString != offer.pieces[index] {
            results.withLock { $0.rejected.append(index) }
            return
        }
        if !store.holds(index) {
            // The reader wrote the bytes to the `.part` file as they came.
            // The archive is fsynced before it is renamed into the inbox;
            // writing each piece out now leaves that fsync little to do.
            let offset = offer.range(ofPiece: index).lowerBound
            WritebackHint.start(store.descriptor, offset: UInt64(offset), count: UInt64(bytes.count))
            if !check { unchecked.insert(index) }
            store.add(index)
            advanceWholeHash(with: bytes, index: index)
        }
        results.withLock { $0.kept += Int64(bytes.count) }
    }

    /// Feeds held pieces to the whole-archive hash in order; `bytes` is the
    /// content of piece `index` when it is in memory.
    private func advanceWholeHash(with bytes: [UInt8]?, index: Int) {
        var scratch: [UInt8] = []
        while hashedPieces < offer.pieceCount, store.holds(hashedPieces) {
            if hashedPieces == index, let bytes {
                wholeHasher.update(data: bytes)
            } else {
                let n = store.read(hashedPieces, into: &scratch)
                guard n == Int(offer.range(ofPiece: hashedPieces).count) else { return }
                wholeHasher.update(data: scratch[0 ..< n])
            }
            hashedPieces += 1
        }
    }
}
