import BatchArchive
import BatchCore
import Crypto
import Foundation

/// Cuts a fetched byte stream into pieces and keeps only those whose
/// SHA-256 matches the offer's hash, at their place in the `.part` file.
/// Hashes come from the server's offer, never from whoever sends the bytes.
struct PieceAssembler {
    let store: PieceStore
    var offer: Offer { store.offer }
    /// Pieces held and verified.
    var have: Set<Int> { store.held }
    /// Pieces that arrived with the wrong hash since the last reset.
    private(set) var rejected: [Int] = []
    private var current: Int
    private var buffer: [UInt8] = []
    /// SHA-256 of the archive's prefix up to piece `hashedPieces`, kept as
    /// pieces arrive so the whole archive need not be read again at the end.
    private var wholeHasher = SHA256()
    private var hashedPieces = 0

    init(store: PieceStore) {
        self.store = store
        current = 0
    }

    /// The whole archive's SHA-256, once every piece is held: hashed as
    /// pieces arrived in order, reading back only those that did not.
    mutating func wholeDigest() -> String? {
        advanceWholeHash(with: nil, index: -1)
        guard hashedPieces == offer.pieceCount else { return nil }
        return wholeHasher.finalize().hexString
    }

    /// Feeds held pieces to the whole-archive hash in order; `bytes` is the
    /// content of piece `index` when the caller has it in memory.
    private mutating func advanceWholeHash(with bytes: [UInt8]?, index: Int) {
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

    /// The stream that follows starts at piece `first`.
    mutating func begin(at first: Int) {
        current = first
        buffer.removeAll(keepingCapacity: true)
    }

    /// Feeds stream bytes; returns the number of verified bytes kept.
    mutating func feed(_ bytes: UnsafeRawBufferPointer) throws(ReceiverError) -> Int64 {
        var kept: Int64 = 0
        var offset = 0
        while offset < bytes.count {
            guard current < offer.pieceCount else {
                throw .protocolViolation("more bytes than batch \(offer.batch) has")
            }
            let range = offer.range(ofPiece: current)
            let need = Int(range.count) - buffer.count
            let take = min(need, bytes.count - offset)
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset ..< offset + take]))
            offset += take
            if buffer.count == Int(range.count) {
                kept += try finishPiece(current, at: range.lowerBound)
                current += 1
                buffer.removeAll(keepingCapacity: true)
            }
        }
        return kept
    }

    private mutating func finishPiece(_ index: Int, at offset: Int64) throws(ReceiverError) -> Int64 {
        let digest = SHA256.hash(data: buffer).hexString
        guard digest == offer.pieces[index] else {
            rejected.append(index)
            return 0
        }
        if !store.holds(index) {
            try PieceAssembler.write(buffer, to: store.descriptor, at: offset, batch: offer.batch)
            // The archive is fsynced before it is renamed into the inbox;
            // writing each piece out now leaves that fsync little to do.
            WritebackHint.start(store.descriptor, offset: UInt64(offset), count: UInt64(buffer.count))
            store.add(index)
            advanceWholeHash(with: buffer, index: index)
        }
        return Int64(buffer.count)
    }

    mutating func clearRejected() {
        rejected.removeAll()
    }

    static func write(_ bytes: [UInt8], to descriptor: Int32, at offset: Int64, batch: Int64) throws(ReceiverError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .storage(path: "batch \(batch) partial archive", reason: String(cString: strerror(errno)))
            }
            done += n
        }
    }

    /// Which pieces of an existing partial file already match the offer.
    static func verifiedPieces(of offer: Offer, descriptor: Int32) -> Set<Int> {
        var held = Set<Int>()
        var buffer = [UInt8](repeating: 0, count: offer.pieceSize)
        for index in 0 ..< offer.pieceCount {
            let range = offer.range(ofPiece: index)
            let count = Int(range.count)
            let n = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, count, off_t(range.lowerBound)) }
            guard n == count else { continue }
            if SHA256.hash(data: buffer[0 ..< count]).hexString == offer.pieces[index] {
                held.insert(index)
            }
        }
        return held
    }
}

extension Digest {
    /// Lowercase hex, as the catalogue and the protocol spell hashes.
    var hexString: String {
        map { String(format: "%02x", $0) }.joined()
    }
}
