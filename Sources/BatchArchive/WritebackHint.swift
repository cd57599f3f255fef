#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Asks the kernel to start writing a file range to disk without waiting,
/// so the final `fsync` of an archive, or of a received one, has little
/// left to do. Uses Linux's
/// `sync_file_range(SYNC_FILE_RANGE_WRITE)`, looked up at run time because
/// the C library module does not declare it; elsewhere it does nothing.
public enum WritebackHint {
    private typealias SyncFileRange = @convention(c) (Int32, Int64, Int64, UInt32) -> Int32

    /// SYNC_FILE_RANGE_WRITE from <linux/fs.h>, part of the stable kernel ABI.
    private static let startWrite: UInt32 = 2

    private static let syncFileRange: SyncFileRange? = {
        #if os(Linux)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sync_file_range") else { return nil }
        return unsafeBitCast(symbol, to: SyncFileRange.self)
        #else
        return nil
        #endif
    }()

    /// Starts writeback of `count` bytes at `offset`. Only a hint: failure
    /// leaves the work to `fsync`, which reports any real error.
    public static func start(_ descriptor: Int32, offset: UInt64, count: UInt64) {
        guard let syncFileRange else { return }
        _ = syncFileRange(descriptor, Int64(offset), Int64(count), startWrite)
    }
}
