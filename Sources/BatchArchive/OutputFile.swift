#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A newly created file written through a large buffer, so compressed output
/// reaches the kernel in big `write(2)` calls rather than one per zlib chunk.
/// Owns its descriptor and closes it once.
final class OutputFile {
    let path: String
    private var descriptor: Int32
    private let buffer: UnsafeMutableBufferPointer<UInt8>
    private var buffered = 0

    /// Outputs at least this large skip the buffer.
    private static let directThreshold = 64 << 10
    /// POSIX guarantees at least 16 vectors per call; Linux and macOS take 1024.
    private static let vectorLimit = 1024

    /// Creates `path`, which must not exist yet, readable by owner and group.
    init(creating path: String, bufferCapacity: Int = 1 << 20) throws(ArchiveError) {
        self.path = path
        var fd: Int32
        repeat {
            fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o640)
        } while fd < 0 && errno == EINTR
        guard fd >= 0 else { throw .createFailed(path: path, errno: errno) }
        descriptor = fd
        buffer = .allocate(capacity: bufferCapacity)
    }

    deinit {
        close()
        buffer.deallocate()
    }

    /// Appends bytes, writing the buffer out whenever it fills.
    func write(_ bytes: UnsafeRawBufferPointer) throws(ArchiveError) {
        var offset = 0
        while offset < bytes.count {
            if buffered == buffer.count {
                try flush()
            }
            let take = min(buffer.count - buffered, bytes.count - offset)
            UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[buffered..<(buffered + take)])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + take)]))
            buffered += take
            offset += take
        }
    }

    /// Appends `spans` in order. Small outputs are gathered in the buffer;
    /// large ones go straight to the kernel with one `writev`, uncopied.
    func write(_ spans: [UnsafeRawBufferPointer]) throws(ArchiveError) {
        let total = spans.reduce(0) { $0 + $1.count }
        if total < OutputFile.directThreshold {
            for span in spans {
                try write(span)
            }
            return
        }
        var vectors: [iovec] = []
        vectors.reserveCapacity(spans.count + 1)
        if buffered > 0 {
            vectors.append(iovec(iov_base: UnsafeMutableRawPointer(buffer.baseAddress!), iov_len: buffered))
        }
        for span in spans where !span.isEmpty {
            vectors.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: span.baseAddress!), iov_len: span.count))
        }
        try writeAll(&vectors)
        buffered = 0
    }

    /// Starts writeback of a range already written; see `WritebackHint`.
    func startWriteback(from offset: UInt64, count: UInt64) {
        guard descriptor >= 0 else { return }
        WritebackHint.start(descriptor, offset: offset, count: count)
    }

    /// Writes out everything buffered, retrying short writes and `EINTR`.
    func flush() throws(ArchiveError) {
        var offset = 0
        while offset < buffered {
            let written = posixWrite(descriptor, buffer.baseAddress! + offset, buffered - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw .writeFailed(path: path, errno: errno)
            }
            offset += written
        }
        buffered = 0
    }

    /// Writes every vector, resuming after short writes and `EINTR`.
    private func writeAll(_ vectors: inout [iovec]) throws(ArchiveError) {
        var first = 0
        while first < vectors.count {
            let batch = min(vectors.count - first, OutputFile.vectorLimit)
            let written = vectors.withUnsafeBufferPointer { all in
                posixWritev(descriptor, all.baseAddress! + first, Int32(batch))
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw .writeFailed(path: path, errno: errno)
            }
            var remaining = written
            while remaining > 0 && remaining >= vectors[first].iov_len {
                remaining -= vectors[first].iov_len
                first += 1
            }
            if remaining > 0 {
                vectors[first].iov_base += remaining
                vectors[first].iov_len -= remaining
            }
            while first < vectors.count && vectors[first].iov_len == 0 {
                first += 1
            }
        }
    }

    /// Writes `bytes` at `offset` in what is already written out (after
    /// `flush`), as a streamed entry's header is written over its slot.
    func overwrite(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(ArchiveError) {
        var done = 0
        while done < bytes.count {
            let count = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            if count < 0 {
                if errno == EINTR { continue }
                throw .writeFailed(path: path, errno: errno)
            }
            done += count
        }
    }

    /// Writes out the buffer and makes the file and its directory entry
    /// durable, so a crash after this returns cannot lose the archive.
    func sync() throws(ArchiveError) {
        try flush()
        guard fsync(descriptor) == 0 else { throw .syncFailed(path: path, errno: errno) }
        let directory = OutputFile.directory(of: path)
        let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directoryDescriptor >= 0 else { throw .syncFailed(path: directory, errno: errno) }
        defer { posixClose(directoryDescriptor) }
        guard fsync(directoryDescriptor) == 0 else { throw .syncFailed(path: directory, errno: errno) }
    }

    /// Closes the descriptor, dropping anything still buffered; later calls do nothing.
    func close() {
        guard descriptor >= 0 else { return }
        // A failed close of a file being discarded or already fsynced loses nothing.
        posixClose(descriptor)
        descriptor = -1
        buffered = 0
    }

    /// Closes the file and removes it.
    func remove() {
        close()
        _ = unlink(path)
    }

    private static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}

// The methods above shadow the C functions' names; these reach the C ones.
private func posixWrite(_ descriptor: Int32, _ bytes: UnsafeMutablePointer<UInt8>, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}

private func posixWritev(_ descriptor: Int32, _ vectors: UnsafePointer<iovec>, _ count: Int32) -> Int {
    writev(descriptor, vectors, count)
}

private func posixClose(_ descriptor: Int32) {
    _ = close(descriptor)
}
