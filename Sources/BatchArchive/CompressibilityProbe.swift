/// Decides how a file's data enters the archive, from a sample of its first
/// bytes. Already-compressed or random data gains nothing from deflate and
/// costs much more CPU: deflating random bytes at level 6 runs at about
/// 37 MB/s per core, while the writer stores 512 MiB of them at 580–800 MB/s
/// on two cores. Data whose bytes carry little entropy but almost never
/// repeat (base64 or hex of random bytes) gains as much from Huffman coding
/// alone as from level 6, which spends its time looking for matches that
/// are not there: on base64 Huffman coding alone was 4.5 times as fast and
/// its output 0.6% smaller.
final class CompressibilityProbe {
    /// How much of a file is tried: enough to see past a file format's header.
    static let sampleSize = 64 << 10

    /// A sample that neither coding shrinks by at least this fraction is stored.
    static let minimumSaving = 0.03

    /// Huffman coding alone is chosen when its output is at most this much
    /// larger than level 1's: string matching would win next to nothing.
    static let huffmanTolerance = 1.02

    /// gzip's fixed 10-byte header and 8-byte trailer, which the sample's
    /// compressed size should not be charged for.
    private static let gzipOverhead = 18

    private let matching: GzipDeflater
    private let huffman: GzipDeflater

    init() throws(ArchiveError) {
        matching = try GzipDeflater(level: 1, outputCapacity: CompressibilityProbe.sampleSize + 1024)
        huffman = try GzipDeflater(level: 1, huffmanOnly: true, outputCapacity: CompressibilityProbe.sampleSize + 1024)
    }

    /// Stored when neither level 1 nor Huffman coding alone saves 3%;
    /// Huffman coding alone when it does about as well as level 1;
    /// otherwise deflate at the writer's level.
    func kind(for sample: UnsafeRawBufferPointer) throws(ArchiveError) -> Segment.Kind {
        guard !sample.isEmpty else { return .deflate }
        let withMatches = try compressedSize(of: sample, by: matching)
        let huffmanOnly = try compressedSize(of: sample, by: huffman)
        let saving = 1 - Double(min(withMatches, huffmanOnly)) / Double(sample.count)
        if saving < CompressibilityProbe.minimumSaving { return .stored }
        return Double(huffmanOnly) <= Double(withMatches) * CompressibilityProbe.huffmanTolerance ? .huffman : .deflate
    }

    /// The bytes `deflater` makes of `sample`, without gzip's framing.
    private func compressedSize(of sample: UnsafeRawBufferPointer, by deflater: GzipDeflater) throws(ArchiveError) -> Int {
        try deflater.reset()
        var compressed = 0
        let count: GzipDeflater.Sink = { (chunk: UnsafeRawBufferPointer) throws(ArchiveError) in
            compressed += chunk.count
        }
        try deflater.deflate(sample, into: count)
        try deflater.finish(into: count)
        return compressed - CompressibilityProbe.gzipOverhead
    }
}
