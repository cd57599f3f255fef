/// File attributes of SFTP v3 (draft-ietf-secsh-filexfer-02, section 5).
/// Each field is present on the wire only when its flag is set; here a
/// field is present when it is not `nil` (or, for `extended`, not empty).
public struct SFTPAttributes: Sendable, Hashable {
    /// `SSH_FILEXFER_ATTR_SIZE`.
    static let sizeFlag: UInt32 = 0x0000_0001
    /// `SSH_FILEXFER_ATTR_UIDGID`.
    static let uidGIDFlag: UInt32 = 0x0000_0002
    /// `SSH_FILEXFER_ATTR_PERMISSIONS`.
    static let permissionsFlag: UInt32 = 0x0000_0004
    /// `SSH_FILEXFER_ATTR_ACMODTIME`.
    static let timesFlag: UInt32 = 0x0000_0008
    /// `SSH_FILEXFER_ATTR_EXTENDED`.
    static let extendedFlag: UInt32 = 0x8000_0000

    public var size: UInt64?
    /// Owner and group travel together on the wire; setting only one of
    /// them encodes the other as 0.
    public var uid: UInt32?
    public var gid: UInt32?
    /// File type and mode bits, as `st_mode`.
    public var permissions: UInt32?
    /// Seconds since the epoch; travels together with `mtime`.
    public var atime: UInt32?
    public var mtime: UInt32?
    public var extended: [SFTPExtensionPair]

    /// Attributes with nothing set (flags 0), as clients send in most OPENs.
    public static let empty = SFTPAttributes()

    /// Creates attributes; every field defaults to absent.
    public init(
        size: UInt64? = nil, uid: UInt32? = nil, gid: UInt32? = nil, permissions: UInt32? = nil,
        atime: UInt32? = nil, mtime: UInt32? = nil, extended: [SFTPExtensionPair] = []
    ) {
        self.size = size
        self.uid = uid
        self.gid = gid
        self.permissions = permissions
        self.atime = atime
        self.mtime = mtime
        self.extended = extended
    }

    /// The flags word these attributes encode with.
    public var flags: UInt32 {
        var flags: UInt32 = 0
        if size != nil { flags |= Self.sizeFlag }
        if uid != nil || gid != nil { flags |= Self.uidGIDFlag }
        if permissions != nil { flags |= Self.permissionsFlag }
        if atime != nil || mtime != nil { flags |= Self.timesFlag }
        if !extended.isEmpty { flags |= Self.extendedFlag }
        return flags
    }

    /// Reads attributes from `reader`. Flag bits that v3 does not define
    /// are ignored, as OpenSSH's `decode_attrib` does: they carry no fields.
    static func decode(from reader: inout SFTPPacketReader) throws(SFTPError) -> SFTPAttributes {
        let flags = try reader.readUInt32("attribute flags")
        var attributes = SFTPAttributes()
        if flags & sizeFlag != 0 {
            attributes.size = try reader.readUInt64("attribute size")
        }
        if flags & uidGIDFlag != 0 {
            attributes.uid = try reader.readUInt32("attribute uid")
            attributes.gid = try reader.readUInt32("attribute gid")
        }
        if flags & permissionsFlag != 0 {
            attributes.permissions = try reader.readUInt32("attribute permissions")
        }
        if flags & timesFlag != 0 {
            attributes.atime = try reader.readUInt32("attribute atime")
            attributes.mtime = try reader.readUInt32("attribute mtime")
        }
        if flags & extendedFlag != 0 {
            // The count is not trusted for allocation: each pair consumes at
            // least 8 bytes or throws, so a lying count ends at the packet end.
            let count = try reader.readUInt32("extended attribute count")
            for _ in 0 ..< count {
                let name = try reader.readText("extended attribute name")
                let data = try reader.readString("extended attribute data")
                attributes.extended.append(SFTPExtensionPair(name: name, data: data))
            }
        }
        return attributes
    }

    /// Decodes attributes from bytes that hold exactly an ATTRS structure.
    public static func decode(_ bytes: [UInt8]) throws(SFTPError) -> SFTPAttributes {
        var reader = SFTPPacketReader(bytes)
        return try decode(from: &reader)
    }

    func encode(into writer: inout SFTPPacketWriter) {
        writer.writeUInt32(flags)
        if let size { writer.writeUInt64(size) }
        if uid != nil || gid != nil {
            writer.writeUInt32(uid ?? 0)
            writer.writeUInt32(gid ?? 0)
        }
        if let permissions { writer.writeUInt32(permissions) }
        if atime != nil || mtime != nil {
            writer.writeUInt32(atime ?? 0)
            writer.writeUInt32(mtime ?? 0)
        }
        if !extended.isEmpty {
            writer.writeUInt32(UInt32(extended.count))
            for pair in extended {
                writer.writeString(pair.name)
                writer.writeString(pair.data)
            }
        }
    }

    /// The ATTRS structure as bytes (flags word and present fields).
    public func encode() -> [UInt8] {
        var writer = SFTPPacketWriter(bodyCapacity: 64)
        encode(into: &writer)
        return writer.bytes
    }
}
