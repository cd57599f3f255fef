import BatchCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes one batch's archive, a gzip-compressed POSIX pax tar, one entry at
/// a time as each upload completes, hashing the compressed bytes as they are
/// written so `finish` only has to close the stream.
///
/// Not thread-safe: confine each writer to one serial queue, which performs
/// every call on it, `init` to `finish` or `abort`.
///
/// After an error thrown part-way through an entry's data the archive is
/// incomplete; every later call except `abort` throws `ArchiveError.unusable`.
/// A writer released without `finish` removes its file, as `abort` does.
public final class ArchiveWriter {
    /// The archive file's path.
    public var path: String { output.path }

    private enum Phase {
        case open
        case failed
        case finished
        case aborted
    }

    /// Source files are read in chunks this large.
    private static let readChunkSize = 1 << 20

    private let output: OutputFile
    private let deflater: GzipDeflater
    private let probe: CompressibilityProbe
    private let level: Int32
    private var hasher: PieceHasher
    private var phase = Phase.open
    private let readBuffer: UnsafeMutableRawBufferPointer

    /// Creates the archive file at `path`, which must not exist yet (mode
    /// 0640). `pieceSize` is the size of each hashed piece; `level` is the
    /// zlib level for headers and for data that compresses.
    public init(path: String, pieceSize: Int = 4 << 20, level: Int32 = 6) throws(ArchiveError) {
        guard pieceSize > 0 else { throw .invalidPieceSize(pieceSize) }
        guard (0...9).contains(level) else { throw .invalidLevel(level) }
        deflater = try GzipDeflater(level: level)
        probe = try CompressibilityProbe()
        output = try OutputFile(creating: path)
        self.level = level
        hasher = PieceHasher(pieceSize: pieceSize)
        readBuffer = .allocate(byteCount: ArchiveWriter.readChunkSize, alignment: 16)
    }

    deinit {
        if phase == .open || phase == .failed {
            output.remove()
        }
        readBuffer.deallocate()
    }

    /// Adds a directory entry at the archive-relative `path`
    /// (`nightly/build`, no leading slash).
    public func appendDirectory(path: String, mode: UInt32, mtime: Int64) throws(ArchiveError) {
        try checkOpen()
        try ArchiveWriter.validate(path)
        let header = TarHeader(path: path, kind: .directory, mode: mode, mtime: mtime)
        try guarded { () throws(ArchiveError) in
            try writeHeader(header)
        }
    }

    /// Adds the regular file at `sourcePath` as the archive-relative `path`
    /// and returns the number of data bytes archived.
    ///
    /// The file's data is stored uncompressed when a level-1 trial on its
    /// first 64 KiB saves less than 3%, as for media or already-compressed
    /// files. An error found before the header is written (the source cannot
    /// be opened, is not a regular file, or its first chunk cannot be read in
    /// full) leaves the archive as it was and usable; one part-way through
    /// the data makes it unusable.
    @discardableResult
    public func appendFile(path: String, from sourcePath: String, mode: UInt32, mtime: Int64) throws(ArchiveError) -> UInt64 {
        try checkOpen()
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
        var dataLevel = level
        if level > 0 {
            let sample = UnsafeRawBufferPointer(rebasing: first.prefix(CompressibilityProbe.sampleSize))
            dataLevel = try probe.isCompressible(sample) ? level : 0
        }

        try guarded { () throws(ArchiveError) in
            try writeHeader(TarHeader(path: path, kind: .regularFile, size: source.size, mode: mode, mtime: mtime))
            try deflater.setLevel(dataLevel, into: emit)
            try deflater.deflate(first, into: emit)
            var archived = UInt64(firstCount)
            while archived < source.size {
                let count = try source.read(into: readBuffer, upTo: min(UInt64(readBuffer.count), source.size - archived))
                guard count > 0 else {
                    throw .sourceShrank(path: sourcePath, expected: source.size, actual: archived)
                }
                try deflater.deflate(UnsafeRawBufferPointer(rebasing: readBuffer[..<count]), into: emit)
                archived += UInt64(count)
            }
            try writePadding(after: source.size)
        }
        return source.size
    }

    /// Ends the archive (end-of-archive blocks, gzip trailer), writes it out,
    /// `fsync`s the file and its directory, and returns its size and hashes.
    public func finish() throws(ArchiveError) -> ArchiveSummary {
        try checkOpen()
        try guarded { () throws(ArchiveError) in
            try deflater.setLevel(level, into: emit)
            try deflate(TarBlock.endOfArchive)
            try deflater.finish(into: emit)
            try output.sync()
        }
        output.close()
        phase = .finished
        let digests = hasher.finalize()
        return ArchiveSummary(size: hasher.byteCount, sha256: digests.sha256, pieceSize: hasher.pieceSize, pieces: digests.pieces)
    }

    /// Closes and removes the archive file, finished or not. Calling it again
    /// does nothing.
    public func abort() {
        guard phase != .aborted else { return }
        output.remove()
        phase = .aborted
    }

    private func writeHeader(_ header: TarHeader) throws(ArchiveError) {
        try deflater.setLevel(level, into: emit)
        try deflate(header.encode())
    }

    private func writePadding(after size: UInt64) throws(ArchiveError) {
        let count = TarBlock.paddingCount(after: size)
        guard count > 0 else { return }
        try deflate([UInt8](repeating: 0, count: count))
    }

    private func deflate(_ bytes: [UInt8]) throws(ArchiveError) {
        // withUnsafeBytes rethrows untyped errors; Result carries the typed one through.
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(ArchiveError) in try deflater.deflate(buffer, into: emit) }
        }
        try result.get()
    }

    /// Every compressed byte passes here: hashed, then buffered for the file.
    private func emit(_ chunk: UnsafeRawBufferPointer) throws(ArchiveError) {
        hasher.update(chunk)
        try output.write(chunk)
    }

    /// Runs a step that writes to the stream; if it fails, the archive is
    /// left incomplete and is marked unusable.
    private func guarded(_ step: () throws(ArchiveError) -> Void) throws(ArchiveError) {
        do {
            try step()
        } catch {
            phase = .failed
            throw error
        }
    }

    private func checkOpen() throws(ArchiveError) {
        switch phase {
        case .open: return
        case .failed: throw .unusable(path: output.path)
        case .finished, .aborted: throw .closed(path: output.path)
        }
    }

    /// Archive paths come from already-checked drop paths; this refuses the
    /// ones that would escape the extraction folder or corrupt a header.
    private static func validate(_ path: String) throws(ArchiveError) {
        guard !path.isEmpty, !path.hasPrefix("/"), !path.utf8.contains(0) else {
            throw .invalidEntryPath(path)
        }
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        guard !components.contains("..") else { throw .invalidEntryPath(path) }
    }
}
