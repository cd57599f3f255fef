/// One stretch of the archive, compressed on its own so that stretches can be
/// compressed in parallel and joined into a single gzip stream.
///
/// Its storage holds up to 32 KiB of the uncompressed bytes just before it
/// (the dictionary that primes deflate, as pigz does, so matches can reach
/// back across the boundary) followed by its own bytes. Every segment's output
/// ends on a byte boundary without a final-block bit, so outputs concatenate.
///
/// Owned by one thread at a time: the producer fills it, a worker encodes it,
/// then the sinks read it. `ArchivePipeline` hands it over under its lock,
/// which orders each owner's writes before the next owner's reads.
final class Segment: @unchecked Sendable {
    /// How a segment's bytes enter the archive.
    enum Kind {
        /// Compressed by deflate at the writer's level.
        case deflate
        /// Compressed by deflate's Huffman coding alone, without string
        /// matching: data that barely repeats, such as base64.
        case huffman
        /// Kept as deflate stored blocks: data that does not compress.
        case stored
        /// Written exactly as they are: the gzip header and trailer, which
        /// frame the deflate stream rather than belong to it.
        case verbatim
    }

    /// Deflate's window: the most history a match can reach.
    static let dictionaryCapacity = 32 << 10
    /// The longest stored block deflate allows (RFC 1951, 3.2.4).
    static let storedBlockLimit = 65_535
    /// A stored block's header once byte-aligned: type byte, LEN, NLEN.
    static let storedHeaderSize = 5

    /// The most bytes of its own a segment holds.
    let capacity: Int
    var kind = Kind.deflate
    /// Position in the archive: sinks consume segments in this order.
    var sequence = 0
    /// A stored block held for a streamed entry's header, written over once
    /// the entry ends; the sinks note where it lands.
    var isHeaderSlot = false
    /// The piece digests stop before this segment: the rest of the archive
    /// is hashed in pieces by `finish`, on every core (see
    /// `ArchiveWriter.beginStreamedFile(from:path:size:mode:mtime:)`).
    var defersPieces = false
    /// Bytes of dictionary at the start of `storage`.
    private(set) var dictionaryCount = 0
    /// Bytes of its own, after the dictionary.
    private(set) var count = 0

    /// CRC-32 of its own bytes, set by `encode`.
    var checksum: UInt32 = 0
    /// The bytes to write, in order, set by `encode`; they point into this
    /// segment's buffers and stay valid until it is reused.
    var output: [UnsafeRawBufferPointer] = []

    private let storage: UnsafeMutableRawBufferPointer
    /// Compressed bytes for a deflate segment; grown when a block expands.
    var compressed: UnsafeMutableRawBufferPointer
    /// Stored-block headers, one per 64 KiB of a stored segment.
    let storedHeaders: UnsafeMutableRawBufferPointer

    init(capacity: Int) {
        self.capacity = capacity
        storage = .allocate(byteCount: Segment.dictionaryCapacity + capacity, alignment: 64)
        compressed = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        let blocks = (capacity + Segment.storedBlockLimit - 1) / Segment.storedBlockLimit
        storedHeaders = .allocate(byteCount: blocks * Segment.storedHeaderSize, alignment: 8)
    }

    deinit {
        storage.deallocate()
        compressed.deallocate()
        storedHeaders.deallocate()
    }

    /// The segment's own bytes.
    var data: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: storage[Segment.dictionaryCapacity..<(Segment.dictionaryCapacity + count)])
    }

    /// The dictionary that precedes the segment's own bytes.
    var dictionary: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: storage[(Segment.dictionaryCapacity - dictionaryCount)..<Segment.dictionaryCapacity])
    }

    /// Room left for the segment's own bytes.
    var freeSpace: UnsafeMutableRawBufferPointer {
        let start = Segment.dictionaryCapacity + count
        return UnsafeMutableRawBufferPointer(rebasing: storage[start..<(Segment.dictionaryCapacity + capacity)])
    }

    var isFull: Bool { count == capacity }

    /// Bytes of the uncompressed stream the segment carries: none for the
    /// gzip framing, which is not part of what gzip checksums.
    var streamCount: Int { kind == .verbatim ? 0 : count }

    /// Empties the segment for reuse, priming it with the last 32 KiB of
    /// `previous` (dictionary and own bytes together), if any.
    func reset(kind: Kind, after previous: Segment?) {
        self.kind = kind
        isHeaderSlot = false
        defersPieces = false
        count = 0
        checksum = 0
        output = []
        dictionaryCount = 0
        guard let previous, kind != .verbatim else { return }
        let history = UnsafeRawBufferPointer(
            rebasing: previous.storage[(Segment.dictionaryCapacity - previous.dictionaryCount)..<(Segment.dictionaryCapacity + previous.count)]
        ).suffix(Segment.dictionaryCapacity)
        dictionaryCount = history.count
        UnsafeMutableRawBufferPointer(rebasing: storage[(Segment.dictionaryCapacity - history.count)..<Segment.dictionaryCapacity])
            .copyMemory(from: UnsafeRawBufferPointer(rebasing: history))
    }

    /// Records that `added` bytes were written into `freeSpace`.
    func didFill(_ added: Int) {
        precondition(added >= 0 && count + added <= capacity, "segment overfilled")
        count += added
    }

    /// Copies as much of `bytes` as fits and returns how many were taken.
    func append(_ bytes: UnsafeRawBufferPointer) -> Int {
        let take = min(bytes.count, capacity - count)
        guard take > 0 else { return 0 }
        UnsafeMutableRawBufferPointer(rebasing: freeSpace.prefix(take)).copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes.prefix(take)))
        count += take
        return take
    }

    /// Makes room for at least `byteCount` compressed bytes, keeping none.
    func reserveCompressed(_ byteCount: Int) {
        guard compressed.count < byteCount else { return }
        compressed.deallocate()
        compressed = .allocate(byteCount: byteCount, alignment: 64)
    }

    /// Doubles the compressed buffer, keeping the first `kept` bytes.
    func growCompressed(keeping kept: Int) {
        let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: max(2 * compressed.count, 4096), alignment: 64)
        UnsafeMutableRawBufferPointer(rebasing: larger.prefix(kept)).copyMemory(from: UnsafeRawBufferPointer(rebasing: compressed.prefix(kept)))
        compressed.deallocate()
        compressed = larger
    }

    /// Total bytes of `output`.
    var outputCount: Int { output.reduce(0) { $0 + $1.count } }
}
