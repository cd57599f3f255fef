import Crypto

/// Reads a finished archive back once, mapped, for the digests that could
/// not be taken as it was written: the whole archive's SHA-256 when a
/// header slot was filled in after its data, and the digests of the pieces
/// `redo` names (those a slot lies in, and those deferred to the end).
///
/// The whole-archive digest is one sequential pass, taken on the calling
/// thread; the pieces are independent and are hashed meanwhile on threads
/// of their own, one per core the whole digest leaves free, so they add
/// nothing to the seal's time while cores are idle.
struct ArchiveRehash {
    let pieceSize: Int
    /// Piece digests already taken, by index; `redo` overrides them.
    let known: [String]
    /// Indices of the pieces to hash again (or for the first time).
    let redo: Set<Int>
    /// Whether the whole-archive SHA-256 is taken too.
    let whole: Bool
    /// Threads available for hashing, the calling one included.
    let cores: Int

    /// Returns the whole digest (nil unless `whole`) and every piece's.
    func run(path: String) throws(ArchiveError) -> (sha256: String?, pieces: [String]) {
        let source = try SourceFile(path: path)
        defer { source.close() }
        let count = Int((source.size + UInt64(pieceSize) - 1) / UInt64(pieceSize))
        var pieces = Array(known.prefix(count))
        pieces.append(contentsOf: repeatElement("", count: count - pieces.count))
        let missing = (0..<count).filter { redo.contains($0) || $0 >= known.count }
        var sha256: String?
        try source.withMappedBytes { (bytes: UnsafeRawBufferPointer) throws(ArchiveError) in
            let threads = min(missing.count, max(1, cores - (whole ? 1 : 0)))
            let hashers = try (0..<threads).map { (lane: Int) throws(ArchiveError) -> PieceLane in
                // Lanes take every `threads`-th piece, so they move through
                // the mapping together, just behind its prefetcher.
                let indices = stride(from: lane, to: missing.count, by: threads).map { missing[$0] }
                return try PieceLane(bytes: bytes, pieceSize: pieceSize, indices: indices)
            }
            if whole {
                var digest = SHA256()
                digest.update(bufferPointer: bytes)
                sha256 = PieceDigests.hex(digest.finalize())
            }
            for lane in hashers {
                for (index, digest) in lane.finish() { pieces[index] = digest }
            }
        }
        return (sha256, pieces)
    }
}

/// One thread hashing some pieces of a mapped archive.
private final class PieceLane {
    /// Written by the thread, read by the owner only after joining it.
    private final class Results: @unchecked Sendable {
        var digests: [(Int, String)] = []
    }

    private let thread: JoinableThread
    private let results = Results()

    init(bytes: UnsafeRawBufferPointer, pieceSize: Int, indices: [Int]) throws(ArchiveError) {
        let address = UInt(bitPattern: bytes.baseAddress)
        let total = bytes.count
        let results = self.results
        thread = try JoinableThread {
            let base = UnsafeRawPointer(bitPattern: address)
            for index in indices {
                let start = index * pieceSize
                let end = min(start + pieceSize, total)
                var digest = SHA256()
                digest.update(bufferPointer: UnsafeRawBufferPointer(start: base.map { $0 + start }, count: end - start))
                results.digests.append((index, PieceDigests.hex(digest.finalize())))
            }
        }
    }

    deinit { thread.join() }

    /// Waits for the thread and returns (piece index, digest) pairs.
    func finish() -> [(Int, String)] {
        thread.join()
        return results.digests
    }
}
