#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A regular file opened for archiving, with its size taken when opened:
/// the size goes into the tar header before any data is read.
struct SourceFile {
    let path: String
    let size: UInt64
    private let descriptor: Int32

    /// Opens `path` read-only and checks that it is a regular file.
    init(path: String) throws(ArchiveError) {
        self.path = path
        var fd: Int32
        repeat {
            fd = open(path, O_RDONLY | O_CLOEXEC)
        } while fd < 0 && errno == EINTR
        guard fd >= 0 else { throw .sourceUnreadable(path: path, errno: errno) }
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            let code = errno
            _ = sourceClose(fd)
            throw .sourceUnreadable(path: path, errno: code)
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            _ = sourceClose(fd)
            throw .sourceNotRegularFile(path: path)
        }
        descriptor = fd
        size = UInt64(status.st_size)
    }

    /// Reads until `limit` bytes are in `buffer` or the file ends, retrying
    /// short reads and `EINTR`; returns the number of bytes read.
    func read(into buffer: UnsafeMutableRawBufferPointer, upTo limit: UInt64) throws(ArchiveError) -> Int {
        let wanted = Int(min(limit, UInt64(buffer.count)))
        var filled = 0
        while filled < wanted {
            let count = sourceRead(descriptor, buffer.baseAddress! + filled, wanted - filled)
            if count < 0 {
                if errno == EINTR { continue }
                throw .sourceReadFailed(path: path, errno: errno)
            }
            if count == 0 { break }
            filled += count
        }
        return filled
    }

    /// Calls `body` with the file's first `size` bytes mapped read-only,
    /// read ahead sequentially, and their page tables filled in ahead of
    /// `body` on another thread (`MappingPrefetcher`); an empty file gives
    /// an empty buffer.
    func withMappedBytes(_ body: (UnsafeRawBufferPointer) throws(ArchiveError) -> Void) throws(ArchiveError) {
        guard size > 0 else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        guard let mapped = mmap(nil, Int(size), PROT_READ, MAP_PRIVATE, descriptor, 0), mapped != MAP_FAILED else {
            throw .sourceReadFailed(path: path, errno: errno)
        }
        defer { munmap(mapped, Int(size)) }
        madvise(mapped, Int(size), MADV_SEQUENTIAL)
        let prefetcher = MappingPrefetcher(start: mapped, count: Int(size))
        defer { prefetcher.stop() }
        try body(UnsafeRawBufferPointer(start: mapped, count: Int(size)))
    }

    /// Closes the file; a read-only descriptor has nothing to lose on close.
    func close() {
        _ = sourceClose(descriptor)
    }
}

// The methods above shadow the C functions' names; these reach the C ones.
private func sourceRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}

private func sourceClose(_ descriptor: Int32) -> Int32 {
    close(descriptor)
}
