/// The header of one tar entry: a ustar header block, preceded by a pax
/// extended header when a field does not fit ustar (a path that cannot be
/// split into its 155-byte prefix and 100-byte name, a non-ASCII path, a size
/// of 8 GiB or more, an mtime before 1970 or after 2242).
///
/// Owner and group are always uid/gid 0 with empty names: an archive carries
/// files, not the server's accounts.
public struct TarHeader: Sendable, Equatable {
    /// What an entry is.
    public enum Kind: Sendable, Equatable {
        /// A regular file; `size` bytes of data follow the header.
        case regularFile
        /// A directory; no data follows.
        case directory
    }

    /// The archive-relative path, without a leading or trailing slash.
    public var path: String
    /// Whether this is a file or a directory.
    public var kind: Kind
    /// The number of data bytes that follow the header (0 for a directory).
    public var size: UInt64
    /// Permission bits; only `0o777` is stored. Setuid, setgid and sticky
    /// never reach an archive: a client's mode 4755 would otherwise become
    /// a setuid-root program wherever the archive is unpacked as root.
    public var mode: UInt32
    /// Modification time in seconds since the Unix epoch.
    public var mtime: Int64

    /// Creates a header; a directory's `size` is ignored and stored as 0.
    public init(path: String, kind: Kind, size: UInt64 = 0, mode: UInt32, mtime: Int64) {
        self.path = path
        self.kind = kind
        self.size = kind == .directory ? 0 : size
        self.mode = mode
        self.mtime = mtime
    }

    /// The mode bits an archive may carry: read, write and execute for
    /// owner, group and others; never setuid, setgid or sticky.
    public static let permissionBits: UInt32 = 0o777

    /// The largest value an 11-digit octal field holds: 8 GiB - 1 for a size,
    /// a moment in 2242 for an mtime.
    public static let maxOctalField: UInt64 = 0o77777777777

    /// The pax records this entry needs; empty when ustar alone suffices.
    public var paxRecords: [PaxRecord] {
        var records: [PaxRecord] = []
        if UstarName.split(storedPath) == nil {
            records.append(PaxRecord(key: "path", value: storedPath))
        }
        if size > TarHeader.maxOctalField {
            records.append(PaxRecord(key: "size", value: String(size)))
        }
        if mtime < 0 || UInt64(mtime) > TarHeader.maxOctalField {
            records.append(PaxRecord(key: "mtime", value: String(mtime)))
        }
        return records
    }

    /// The header blocks to write before the entry's data: the ustar block,
    /// preceded by a pax extended header (its own header block and its
    /// records, padded to a block) when `paxRecords` is not empty.
    public func encode() -> [UInt8] {
        let records = paxRecords
        var blocks: [UInt8] = []
        if !records.isEmpty {
            let data = records.flatMap { $0.encode() }
            blocks += UstarBlock(
                name: UstarName.fallback(for: "PaxHeaders/" + TarHeader.lastComponent(of: path)),
                typeflag: UInt8(ascii: "x"),
                size: UInt64(data.count),
                mode: 0o644,
                mtime: clampedMtime
            ).bytes
            blocks += data
            blocks += [UInt8](repeating: 0, count: TarBlock.paddingCount(after: UInt64(data.count)))
        }
        blocks += UstarBlock(
            name: UstarName.split(storedPath) ?? UstarName.fallback(for: storedPath),
            typeflag: kind == .directory ? UInt8(ascii: "5") : UInt8(ascii: "0"),
            size: size > TarHeader.maxOctalField ? 0 : size,
            mode: mode & TarHeader.permissionBits,
            mtime: clampedMtime
        ).bytes
        return blocks
    }

    /// The name as tar stores it: directories end in a slash.
    var storedPath: String {
        kind == .directory && !path.hasSuffix("/") ? path + "/" : path
    }

    /// The mtime for the ustar field; the exact value is in the pax record
    /// when it is out of range.
    private var clampedMtime: UInt64 {
        mtime < 0 ? 0 : min(UInt64(mtime), TarHeader.maxOctalField)
    }

    private static func lastComponent(of path: String) -> String {
        let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
        return PathComponents.split(trimmed).last ?? trimmed
    }
}
