/// The body of an SFTP EXTENDED request, decoded for the OpenSSH
/// extensions a drop server answers (see OpenSSH's PROTOCOL file, section
/// 4) and kept raw for every other name.
public enum SFTPExtendedRequest: Sendable, Hashable {
    /// `limits@openssh.com`: the client asks for packet and read/write size
    /// limits; `SFTPLimits` builds the reply.
    case limits
    /// `posix-rename@openssh.com`: rename that replaces an existing target.
    case posixRename(oldPath: [UInt8], newPath: [UInt8])
    /// `hardlink@openssh.com`.
    case hardlink(oldPath: [UInt8], newPath: [UInt8])
    /// `fsync@openssh.com`.
    case fsync(handle: [UInt8])
    /// `statvfs@openssh.com`.
    case statvfs(path: [UInt8])
    /// `fstatvfs@openssh.com`.
    case fstatvfs(handle: [UInt8])
    /// Any other extension: its name and the rest of the packet, unparsed.
    case other(name: String, data: [UInt8])

    /// The extension name as it travels on the wire.
    public var name: String {
        switch self {
        case .limits: return "limits@openssh.com"
        case .posixRename: return "posix-rename@openssh.com"
        case .hardlink: return "hardlink@openssh.com"
        case .fsync: return "fsync@openssh.com"
        case .statvfs: return "statvfs@openssh.com"
        case .fstatvfs: return "fstatvfs@openssh.com"
        case .other(let name, _): return name
        }
    }

    static func decode(name: String, from reader: inout SFTPPacketReader) throws(SFTPError) -> SFTPExtendedRequest {
        switch name {
        case "limits@openssh.com":
            return .limits
        case "posix-rename@openssh.com":
            return .posixRename(oldPath: try reader.readString("old path"), newPath: try reader.readString("new path"))
        case "hardlink@openssh.com":
            return .hardlink(oldPath: try reader.readString("old path"), newPath: try reader.readString("new path"))
        case "fsync@openssh.com":
            return .fsync(handle: try reader.readString("handle"))
        case "statvfs@openssh.com":
            return .statvfs(path: try reader.readString("path"))
        case "fstatvfs@openssh.com":
            return .fstatvfs(handle: try reader.readString("handle"))
        default:
            return .other(name: name, data: reader.readRest())
        }
    }
}
