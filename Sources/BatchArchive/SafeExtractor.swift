import CArchive
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Extracts a delivered batch archive so that nothing in it can reach outside
/// the destination folder, and so the folder appears whole or not at all.
///
/// Every entry is checked here before libarchive sees it (type, link fields,
/// path), and libarchive's own guards run as well, so one missed case in
/// either does not open a hole.
public enum SafeExtractor {
    /// libarchive's disk-writer options. Times and permission bits are kept;
    /// ownership, ACLs, extended attributes and file flags are not, so an
    /// archive cannot hand files to another user or make them immutable even
    /// when the receiver runs as root.
    ///
    /// `ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS` is deliberately absent: the
    /// paths given to libarchive are the partial folder's absolute path plus
    /// the entry's path, so that flag would refuse every entry. Absolute entry
    /// paths are refused by `CheckedEntryPath` before the prefix is added.
    private static let diskOptions = ARCHIVE_EXTRACT_SECURE_NODOTDOT
        | ARCHIVE_EXTRACT_SECURE_SYMLINKS
        | ARCHIVE_EXTRACT_TIME
        | ARCHIVE_EXTRACT_PERM

    /// Held while a libarchive disk writer exists. The writer reads the
    /// process umask by setting it to 0 and back around every entry; two
    /// writers interleaving that pair can leave the whole process with umask
    /// 0, so extractions in one process run one at a time.
    private static let diskWriterLock = NSLock()

    /// Extracts the gzip'd tar at `archive` into the folder `destination`,
    /// which must not exist yet and whose parent must.
    ///
    /// The folder is filled under a hidden sibling `.<name>.partial-XXXXXX`
    /// and renamed to `destination` (mode 0755) only once every entry is
    /// written; on any failure the sibling is removed and nothing exists
    /// under `destination`.
    ///
    /// Only regular files and folders are accepted: a symbolic or hard link,
    /// device, FIFO or socket, an absolute path or a `..` component fails the
    /// whole extraction with an error naming the entry. Files keep their
    /// permission bits without setuid, setgid, sticky and world-write
    /// (`mode & 0o775`); folders get at least 0755 so their owner can always
    /// list and remove them. Modification times are kept; ownership never changes.
    ///
    /// - Returns: how many files and folders were written, and the file bytes.
    public static func extract(archive: String, into destination: String,
                               limits: ExtractionLimits = .standard) throws(ExtractionError) -> ExtractionSummary {
        let partial = try PartialFolder(for: destination)
        do throws(ExtractionError) {
            let summary = try unpackAlone(archive: archive, into: partial.path, limits: limits)
            try partial.publish()
            return summary
        } catch {
            throw partial.discard(after: error)
        }
    }

    /// `unpack`, with no other disk writer in the process meanwhile.
    private static func unpackAlone(archive: String, into root: String,
                                    limits: ExtractionLimits) throws(ExtractionError) -> ExtractionSummary {
        diskWriterLock.lock()
        defer { diskWriterLock.unlock() }
        return try unpack(archive: archive, into: root, limits: limits)
    }

    /// Writes every entry of `archive` below `root`. The reader and the disk
    /// writer are owned by this call alone and freed exactly once by `defer`,
    /// whichever way it leaves.
    private static func unpack(archive: String, into root: String,
                               limits: ExtractionLimits) throws(ExtractionError) -> ExtractionSummary {
        // Opened here rather than by libarchive so that a missing or
        // unreadable file is told apart from one that is not a gzip'd tar.
        let file = open(archive, O_RDONLY | O_CLOEXEC)
        guard file >= 0 else {
            throw .archiveUnreadable(archive: archive, reason: String(cString: strerror(errno)))
        }
        // Declared before the reader's defer, so it closes after the reader is freed.
        defer { close(file) }
        var info = stat()
        guard fstat(file, &info) == 0 else {
            throw .archiveUnreadable(archive: archive, reason: String(cString: strerror(errno)))
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw .archiveUnreadable(archive: archive, reason: "it is not a regular file")
        }
        let allowed = try room(for: Int64(info.st_size), in: root, limits: limits)

        guard let reader = archive_read_new() else { throw .outOfMemory }
        defer { archive_read_free(reader) }
        guard let writer = archive_write_disk_new() else { throw .outOfMemory }
        // Freeing the writer also closes it, which applies the deferred
        // folder modes and times inside the partial folder; it runs before
        // the caller publishes or discards that folder.
        defer { archive_write_free(writer) }

        // Only gzip and tar (ustar, pax and GNU forms): a delivered batch is
        // nothing else, and every extra format is extra parser exposed.
        guard archive_read_support_filter_gzip(reader) == ARCHIVE_OK,
              archive_read_support_format_tar(reader) == ARCHIVE_OK,
              archive_write_disk_set_options(writer, diskOptions) == ARCHIVE_OK
        else { throw .outOfMemory }

        guard archive_read_open_fd(reader, file, 64 * 1024) == ARCHIVE_OK else {
            throw .archiveCorrupt(archive: archive, reason: message(of: reader))
        }

        var summary = ExtractionSummary(files: 0, directories: 0, bytes: 0)
        var entry: OpaquePointer?
        while true {
            let status = archive_read_next_header(reader, &entry)
            if status == ARCHIVE_EOF { break }
            // A warning here is a recoverable header oddity such as a name
            // that does not convert to the locale; the checks below still run.
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
                throw .archiveCorrupt(archive: archive, reason: message(of: reader))
            }

            let rawPath = try name(of: entry)
            try refuseLinks(entry, named: rawPath)
            let isDirectory = try kind(of: entry, named: rawPath)
            let checked = try CheckedEntryPath(rawPath)
            if checked.relative.isEmpty {
                // The archive's own root, "./": the partial folder is it.
                guard isDirectory else { throw .unnamedEntry }
                continue
            }

            archive_entry_set_pathname(entry, root + "/" + checked.relative)
            let permissions = archive_entry_perm(entry) & 0o775
            archive_entry_set_perm(entry, isDirectory ? permissions | 0o755 : permissions)

            if !isDirectory {
                // Checked from the header before anything is written; data
                // past the header's size is refused in copyData.
                let size = max(Int64(archive_entry_size(entry)), 0)
                guard summary.bytes + size <= allowed.bytes else {
                    throw .expandsTooFar(entry: rawPath, limit: allowed.bytes, reason: allowed.reason)
                }
            }
            guard archive_write_header(writer, entry) == ARCHIVE_OK else {
                throw .writeFailed(entry: rawPath, reason: message(of: writer))
            }
            if isDirectory {
                summary.directories += 1
            } else {
                summary.bytes += try copyData(from: reader, to: writer, archive: archive, entry: rawPath)
                summary.files += 1
            }
            guard archive_write_finish_entry(writer) == ARCHIVE_OK else {
                throw .writeFailed(entry: rawPath, reason: message(of: writer))
            }
        }
        guard archive_write_close(writer) == ARCHIVE_OK else {
            throw .writeFailed(entry: root, reason: message(of: writer))
        }
        return summary
    }

    /// What an archive of `archiveSize` bytes may unpack to below `root`:
    /// the smaller of its allowed expansion and the free space less the
    /// reserve, with which of the two it is.
    private static func room(for archiveSize: Int64, in root: String,
                             limits: ExtractionLimits) throws(ExtractionError) -> (bytes: Int64, reason: String) {
        var disk = statvfs()
        guard statvfs(root, &disk) == 0 else {
            throw .writeFailed(entry: root, reason: String(cString: strerror(errno)))
        }
        let free = Int64(disk.f_bavail) * Int64(disk.f_frsize) - limits.reserve
        let expansion = max(archiveSize, 1).multipliedReportingOverflow(by: Int64(limits.maxExpansion))
        let byExpansion = expansion.overflow ? Int64.max : expansion.partialValue
        if free < byExpansion {
            return (max(free, 0), "the disk has that much free beyond its reserve of \(limits.reserve) bytes")
        }
        return (byExpansion, "\(limits.maxExpansion) times the archive's size")
    }

    /// Streams the current entry's content into the file just created.
    /// Returns the bytes written.
    private static func copyData(from reader: OpaquePointer, to writer: OpaquePointer, archive: String, entry: String) throws(ExtractionError) -> Int64 {
        var written: Int64 = 0
        var block: UnsafeRawPointer?
        var size = 0
        var offset: la_int64_t = 0
        while true {
            let status = archive_read_data_block(reader, &block, &size, &offset)
            if status == ARCHIVE_EOF { return written }
            guard status == ARCHIVE_OK else {
                throw .archiveCorrupt(archive: archive, reason: message(of: reader))
            }
            // ARCHIVE_WARN here means more data than the header announced.
            guard archive_write_data_block(writer, block, size, offset) == ARCHIVE_OK else {
                throw .writeFailed(entry: entry, reason: message(of: writer))
            }
            written += Int64(size)
        }
    }

    /// The entry's path as the archive stores it. The UTF-8 form is asked for
    /// first because pax stores UTF-8 and the process locale may be "C"; the
    /// locale form is the fallback for old archives with other encodings.
    private static func name(of entry: OpaquePointer) throws(ExtractionError) -> String {
        if let utf8 = archive_entry_pathname_utf8(entry) { return String(cString: utf8) }
        if let native = archive_entry_pathname(entry) { return String(cString: native) }
        throw .unnamedEntry
    }

    /// Refuses an entry that carries a link target. A tar hard link is typed
    /// as a regular file, so the type check alone would not catch it. The
    /// UTF-8 and locale forms are both asked because a form that fails to
    /// convert reads as absent; the wide form catches a target neither
    /// could convert.
    private static func refuseLinks(_ entry: OpaquePointer, named path: String) throws(ExtractionError) {
        if let target = archive_entry_hardlink_utf8(entry) ?? archive_entry_hardlink(entry) {
            throw .hardLinkEntry(entry: path, target: String(cString: target))
        }
        if let target = archive_entry_symlink_utf8(entry) ?? archive_entry_symlink(entry) {
            throw .symbolicLinkEntry(entry: path, target: String(cString: target))
        }
        if archive_entry_hardlink_w(entry) != nil || archive_entry_symlink_w(entry) != nil {
            throw .forbiddenEntryType(entry: path, kind: "link whose target cannot be read")
        }
    }

    /// Whether the entry is a folder (true) or a regular file (false);
    /// anything else is refused, named by its kind.
    private static func kind(of entry: OpaquePointer, named path: String) throws(ExtractionError) -> Bool {
        switch archive_entry_filetype(entry) {
        case batchd_ae_ifreg(): return false
        case batchd_ae_ifdir(): return true
        case batchd_ae_iflnk(): throw .forbiddenEntryType(entry: path, kind: "symbolic link")
        case batchd_ae_ifchr(): throw .forbiddenEntryType(entry: path, kind: "character device")
        case batchd_ae_ifblk(): throw .forbiddenEntryType(entry: path, kind: "block device")
        case batchd_ae_ififo(): throw .forbiddenEntryType(entry: path, kind: "FIFO")
        case batchd_ae_ifsock(): throw .forbiddenEntryType(entry: path, kind: "socket")
        default: throw .forbiddenEntryType(entry: path, kind: "file of unknown type")
        }
    }

    /// libarchive's last error message for `handle`.
    private static func message(of handle: OpaquePointer) -> String {
        archive_error_string(handle).map { String(cString: $0) } ?? "libarchive gave no reason"
    }
}
