import BatchCore
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes one batch's archive, a gzip-compressed POSIX pax tar, one entry at
/// a time as each upload completes, hashing the compressed bytes as they are
/// written so `finish` has little left: closing the stream, and hashing
/// again only what a streamed entry left open (`ArchiveRehash`).
///
/// The stream is cut into segments of 256 KiB that a pool of threads (one
/// per core) compresses in parallel, each primed with the 32 KiB before it
/// as pigz does; the whole-archive digest, the piece digests and the file
/// writes each run on a thread of their own. The bytes written depend only
/// on the input, never on the number of threads or their timing.
///
/// Not thread-safe: confine each writer to one serial queue, which performs
/// every call on it, `init` to `finish` or `abort`. The writer owns its
/// threads and joins them in `finish`, `abort` or when released.
///
/// After an error thrown part-way through an entry's data the archive is
/// incomplete; every later call except `abort` throws `ArchiveError.unusable`.
/// An error met by a background thread (a failed write, say) is thrown by
/// the next call. A writer released without `finish` removes its file, as
/// `abort` does.
public final class ArchiveWriter {
    /// The archive file's path.
    public var path: String { output.path }

    enum Phase {
        case open
        case failed
        case finished
        case aborted
    }

    /// Uncompressed bytes per segment. pigz uses 128 KiB; twice that halves
    /// the per-segment cost (sync marker, dictionary priming) at no loss of
    /// parallelism on files of a few MiB and up.
    private static let segmentSize = 256 << 10

    let output: OutputFile
    let probe: CompressibilityProbe
    let level: Int32
    private let pieceSize: Int
    /// Threads that hash at once in `finish`.
    private let cores: Int
    private let streamDigest = StreamDigestSink()
    private let pieceDigests: PieceDigestSink
    private let fileSink: FileSink
    let pipeline: ArchivePipeline
    /// The segment being filled, not yet submitted.
    var current: Segment?
    var phase = Phase.open
    let readBuffer: UnsafeMutableRawBufferPointer
    /// The entry being streamed while its file is still written, if any.
    var streamed: StreamedFile?
    /// The real headers of the streamed entries, in archive order, written
    /// over their slots when the archive is finished.
    var slotHeaders: [[UInt8]] = []

    /// Creates the archive file at `path`, which must not exist yet (mode
    /// 0640). `pieceSize` is the size of each hashed piece; `level` is the
    /// zlib level for headers and for data that compresses.
    public convenience init(path: String, pieceSize: Int = 4 << 20, level: Int32 = 6) throws(ArchiveError) {
        try self.init(path: path, pieceSize: pieceSize, level: level, workers: min(max(ProcessInfo.processInfo.activeProcessorCount, 1), 8))
    }

    /// As the public initializer, with `workers` compressing threads; the
    /// archive's bytes are the same whatever their number.
    init(path: String, pieceSize: Int, level: Int32, workers: Int) throws(ArchiveError) {
        guard pieceSize > 0 else { throw .invalidPieceSize(pieceSize) }
        guard (0...9).contains(level) else { throw .invalidLevel(level) }
        probe = try CompressibilityProbe()
        self.level = level
        self.pieceSize = pieceSize
        cores = max(workers, 1)
        pieceDigests = PieceDigestSink(pieceSize: pieceSize)
        let file = try OutputFile(creating: path)
        output = file
        fileSink = FileSink(file: file)
        do {
            pipeline = try ArchivePipeline(
                sinks: [streamDigest, pieceDigests, fileSink],
                workers: workers, level: level, segmentCapacity: ArchiveWriter.segmentSize
            )
        } catch {
            file.remove()
            throw error
        }
        readBuffer = .allocate(byteCount: CompressibilityProbe.sampleSize, alignment: 16)
        do {
            try submitVerbatim(GzipFrame.header(level: level))
        } catch {
            phase = .failed
            throw error
        }
    }

    deinit {
        streamed?.source.close()
        pipeline.stop()
        if phase == .open || phase == .failed {
            output.remove()
        }
        readBuffer.deallocate()
    }

    /// Adds a directory entry at the archive-relative `path`
    /// (`nightly/build`, no leading slash).
    public func appendDirectory(path: String, mode: UInt32, mtime: Int64) throws(ArchiveError) {
        try checkOpen()
        try checkNotStreaming()
        try ArchiveWriter.validate(path)
        let header = TarHeader(path: path, kind: .directory, mode: mode, mtime: mtime)
        try guarded { () throws(ArchiveError) in
            try writeHeader(header)
        }
    }

    /// Adds the regular file at `sourcePath` as the archive-relative `path`
    /// and returns the number of data bytes archived.
    ///
    /// The file's data is stored uncompressed when trials on its first 64
    /// KiB save less than 3%, as for media or already-compressed files, and
    /// compressed by Huffman coding alone when string matching would gain
    /// next to nothing (see `CompressibilityProbe`). An error found before the header is written (the source cannot
    /// be opened, is not a regular file, or its first chunk cannot be read in
    /// full) leaves the archive as it was and usable; one part-way through
    /// the data makes it unusable.
    @discardableResult
    public func appendFile(path: String, from sourcePath: String, mode: UInt32, mtime: Int64) throws(ArchiveError) -> UInt64 {
        try checkOpen()
        try checkNotStreaming()
        try ArchiveWriter.validate(path)
        let source = try SourceFile(path: sourcePath)
        defer { source.close() }

        // Read the first chunk before writing anything, so an unreadable
        // file leaves the archive as it was.
        let firstWanted = min(UInt64(readBuffer.count), source.size)
        let firstCount = try source.read(into: readBuffer, upTo: firstWanted)
        guard UInt64(firstCount) == firstWanted else {
            throw .sourceShrank(path: sourcePath, expected: source.size, actual: UInt64(firstCount))
        }
        let first = UnsafeRawBufferPointer(rebasing: readBuffer[..<firstCount])
        var dataKind = headerKind
        if level > 0 && !first.isEmpty {
            dataKind = try probe.kind(for: first)
        }

        try guarded { () throws(ArchiveError) in
            try writeHeader(TarHeader(path: path, kind: .regularFile, size: source.size, mode: mode, mtime: mtime))
            try append(first, as: dataKind)
            var archived = UInt64(firstCount)
            while archived < source.size {
                // Read straight into the segment: no copy on the way.
                let segment = try room(for: dataKind)
                let count = try source.read(into: segment.freeSpace, upTo: source.size - archived)
                guard count > 0 else {
                    throw .sourceShrank(path: sourcePath, expected: source.size, actual: archived)
                }
                segment.didFill(count)
                archived += UInt64(count)
            }
            try append([UInt8](repeating: 0, count: TarBlock.paddingCount(after: source.size)), as: headerKind)
        }
        return source.size
    }

    /// Ends the archive (end-of-archive blocks, gzip trailer), writes it out,
    /// `fsync`s the file and its directory, and returns its size and hashes.
    ///
    /// With streamed entries, their headers are written over their slots
    /// first; the gzip CRC is corrected for them, and the archive is read
    /// back once for its SHA-256 and the digests of the pieces they touch,
    /// and of the pieces deferred to now (`ArchiveRehash`).
    public func finish() throws(ArchiveError) -> ArchiveSummary {
        try checkOpen()
        try checkNotStreaming()
        var summary = ArchiveSummary(size: 0, sha256: "", pieceSize: pieceSize, pieces: [])
        try guarded { () throws(ArchiveError) in
            try append(TarBlock.endOfArchive, as: headerKind)
            if let last = current, last.count > 0 {
                try pipeline.submit(last)
            }
            current = nil
            // The trailer needs the CRC of everything before it.
            try pipeline.drain()
            let slots = HeaderSlots(headers: slotHeaders, fileOffsets: fileSink.slotOffsets,
                                    streamOffsets: streamDigest.slotStreamOffsets)
            let checksum = slots.correctedChecksum(streamDigest.streamChecksum, streamCount: streamDigest.streamCount)
            try submitVerbatim(GzipFrame.trailer(checksum: checksum, count: streamDigest.streamCount))
            try pipeline.drain()
            pipeline.stop()
            summary.size = streamDigest.byteCount
            if slots.isEmpty && !pieceDigests.deferred {
                summary.sha256 = streamDigest.finalize()
                summary.pieces = pieceDigests.finalize()
            } else {
                try output.flush()
                try slots.write(into: output)
                let rehash = ArchiveRehash(pieceSize: pieceSize, known: pieceDigests.finalize(),
                                           redo: slots.touchedPieces(pieceSize: pieceSize),
                                           whole: !slots.isEmpty, cores: cores)
                let (sha256, pieces) = try rehash.run(path: output.path)
                summary.sha256 = sha256 ?? streamDigest.finalize()
                summary.pieces = pieces
            }
            try output.sync()
        }
        output.close()
        phase = .finished
        return summary
    }

    /// Closes and removes the archive file, finished or not. Calling it again
    /// does nothing.
    public func abort() {
        guard phase != .aborted else { return }
        streamed?.source.close()
        streamed = nil
        pipeline.stop()
        output.remove()
        phase = .aborted
    }

    /// Headers, padding and end blocks are compressed unless the level is 0.
    var headerKind: Segment.Kind { level > 0 ? .deflate : .stored }

    private func writeHeader(_ header: TarHeader) throws(ArchiveError) {
        try append(header.encode(), as: headerKind)
    }

    func append(_ bytes: [UInt8], as kind: Segment.Kind) throws(ArchiveError) {
        // withUnsafeBytes rethrows untyped errors; Result carries the typed one through.
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(ArchiveError) in try append(buffer, as: kind) }
        }
        try result.get()
    }

    /// Copies `bytes` into the stream as `kind`.
    func append(_ bytes: UnsafeRawBufferPointer, as kind: Segment.Kind) throws(ArchiveError) {
        var offset = 0
        while offset < bytes.count {
            offset += try room(for: kind).append(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
        }
    }

    /// The segment to fill with `kind` bytes, with room for at least one:
    /// the current one, or a new one when it is full or of another kind.
    func room(for kind: Segment.Kind) throws(ArchiveError) -> Segment {
        if let segment = current {
            if segment.kind == kind && !segment.isFull { return segment }
            if segment.count == 0 {
                segment.kind = kind
                return segment
            }
        }
        let next = try pipeline.obtain(kind: kind, after: current)
        if let full = current {
            try pipeline.submit(full)
        }
        current = next
        return next
    }

    /// Sends gzip framing through the pipeline outside the deflate stream.
    private func submitVerbatim(_ bytes: [UInt8]) throws(ArchiveError) {
        let segment = try pipeline.obtain(kind: .verbatim, after: nil)
        _ = bytes.withUnsafeBytes { segment.append($0) }
        try pipeline.submit(segment)
    }

    /// Runs a step that writes to the stream; if it fails, the archive is
    /// left incomplete and is marked unusable.
    func guarded(_ step: () throws(ArchiveError) -> Void) throws(ArchiveError) {
        do {
            try step()
        } catch {
            phase = .failed
            throw error
        }
    }

    func checkNotStreaming() throws(ArchiveError) {
        if streamed != nil { throw .streamedEntryOpen(path: output.path) }
    }

    func checkOpen() throws(ArchiveError) {
        switch phase {
        case .open: return
        case .failed: throw .unusable(path: output.path)
        case .finished, .aborted: throw .closed(path: output.path)
        }
    }

    /// Archive paths come from already-checked drop paths; this refuses the
    /// ones that would escape the extraction folder or corrupt a header.
    static func validate(_ path: String) throws(ArchiveError) {
        guard !path.isEmpty, !path.hasPrefix("/"), !path.utf8.contains(0) else {
            throw .invalidEntryPath(path)
        }
        let components = PathComponents.split(path, omittingEmpty: false)
        guard !components.contains("..") else { throw .invalidEntryPath(path) }
    }
}
