#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Re-reads a sealed archive and checks it against what was recorded when
/// it was written: its size, the SHA-256 of the whole and of each piece.
public enum ArchiveVerifier {
    /// Bytes read at a time.
    static let chunk = 1 << 20

    /// Checks the archive at `path` against `expected`, calling `progress`
    /// with the number of bytes of each read as it goes.
    public static func check(path: String, against expected: ArchiveSummary, progress: (Int) -> Void = { _ in }) -> ArchiveCheck {
        guard expected.pieceSize > 0 else { return .unreadable(reason: "no piece size is recorded for it") }
        var descriptor: Int32
        repeat {
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
        } while descriptor < 0 && errno == EINTR
        guard descriptor >= 0 else {
            return errno == ENOENT ? .missing : .unreadable(reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return .unreadable(reason: String(cString: strerror(errno))) }
        guard (status.st_mode & S_IFMT) == S_IFREG else { return .unreadable(reason: "it is not a regular file") }
        #if os(Linux)
        // One pass from start to end: let the kernel read further ahead.
        _ = posix_fadvise(descriptor, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
        #endif

        var hasher = PieceHasher(pieceSize: expected.pieceSize)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(descriptor, buffer.baseAddress!, chunk)
            if count < 0 {
                if errno == EINTR { continue }
                return .unreadable(reason: String(cString: strerror(errno)))
            }
            if count == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            progress(count)
        }
        let found = hasher.finalize()
        if hasher.byteCount == expected.size, found.sha256 == expected.sha256, found.pieces == expected.pieces {
            return .intact
        }
        let bad = (0..<max(found.pieces.count, expected.pieces.count)).filter { index in
            index >= found.pieces.count || index >= expected.pieces.count || found.pieces[index] != expected.pieces[index]
        }
        return .corrupt(size: hasher.byteCount, badPieces: bad)
    }
}
