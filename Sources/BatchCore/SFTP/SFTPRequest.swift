/// A request from an SFTP v3 client (draft-ietf-secsh-filexfer-02 and
/// OpenSSH's extensions), decoded from one packet payload.
///
/// Paths and handles stay byte strings (`[UInt8]`): the protocol does not
/// promise text, and a path with a NUL byte or invalid UTF-8 must still
/// decode so the server can answer that request with a status instead of
/// dropping the connection. `DropPath.resolve` is where bytes become a
/// checked path. Only extension names, which the protocol defines as text,
/// are validated here.
///
/// Bytes after the last field of a request are ignored, as OpenSSH's
/// sftp-server discards them.
public enum SFTPRequest: Sendable, Hashable {
    /// SSH_FXP_INIT: the client's protocol version (it has no request id).
    case initialize(version: UInt32, extensions: [SFTPExtensionPair])
    case open(id: UInt32, path: [UInt8], flags: SFTPOpenFlags, attributes: SFTPAttributes)
    case close(id: UInt32, handle: [UInt8])
    case read(id: UInt32, handle: [UInt8], offset: UInt64, length: UInt32)
    /// SSH_FXP_WRITE; `data` is a copy of just the data bytes.
    case write(id: UInt32, handle: [UInt8], offset: UInt64, data: [UInt8])
    case lstat(id: UInt32, path: [UInt8])
    case fstat(id: UInt32, handle: [UInt8])
    case setstat(id: UInt32, path: [UInt8], attributes: SFTPAttributes)
    case fsetstat(id: UInt32, handle: [UInt8], attributes: SFTPAttributes)
    case opendir(id: UInt32, path: [UInt8])
    case readdir(id: UInt32, handle: [UInt8])
    case remove(id: UInt32, path: [UInt8])
    case mkdir(id: UInt32, path: [UInt8], attributes: SFTPAttributes)
    case rmdir(id: UInt32, path: [UInt8])
    case realpath(id: UInt32, path: [UInt8])
    case stat(id: UInt32, path: [UInt8])
    case rename(id: UInt32, oldPath: [UInt8], newPath: [UInt8])
    case readlink(id: UInt32, path: [UInt8])
    /// SSH_FXP_SYMLINK. The draft orders the fields `linkpath, targetpath`,
    /// but OpenSSH's server and client (and paramiko, following them) send
    /// `targetpath` first; the decoder follows OpenSSH, so `linkPath` is the
    /// second string on the wire and `targetPath` the first.
    case symlink(id: UInt32, linkPath: [UInt8], targetPath: [UInt8])
    case extended(id: UInt32, request: SFTPExtendedRequest)
    /// A packet type this codec does not know (including server-to-client
    /// types sent by a confused client); the server answers OP_UNSUPPORTED.
    case unknown(type: UInt8, id: UInt32)

    /// The request id to echo in the reply; `nil` only for INIT.
    public var id: UInt32? {
        switch self {
        case .initialize: return nil
        case .open(let id, _, _, _), .close(let id, _), .read(let id, _, _, _), .write(let id, _, _, _),
             .lstat(let id, _), .fstat(let id, _), .setstat(let id, _, _), .fsetstat(let id, _, _),
             .opendir(let id, _), .readdir(let id, _), .remove(let id, _), .mkdir(let id, _, _),
             .rmdir(let id, _), .realpath(let id, _), .stat(let id, _), .rename(let id, _, _),
             .readlink(let id, _), .symlink(let id, _, _), .extended(let id, _), .unknown(_, let id):
            return id
        }
    }

    /// Decodes one packet payload as returned by `SFTPFramer.nextPacket()`:
    /// the type byte followed by the body.
    public static func decode(_ payload: [UInt8]) throws(SFTPError) -> SFTPRequest {
        var reader = SFTPPacketReader(payload)
        let typeByte = try reader.readUInt8("packet type")
        if typeByte == SFTPPacketType.initialize.rawValue {
            let version = try reader.readUInt32("protocol version")
            var extensions: [SFTPExtensionPair] = []
            while reader.remaining > 0 {
                let name = try reader.readText("extension name")
                let data = try reader.readString("extension data")
                extensions.append(SFTPExtensionPair(name: name, data: data))
            }
            return .initialize(version: version, extensions: extensions)
        }
        let id = try reader.readUInt32("request id")
        guard let type = SFTPPacketType(rawValue: typeByte) else { return .unknown(type: typeByte, id: id) }
        switch type {
        case .open:
            let path = try reader.readString("path")
            let flags = SFTPOpenFlags(rawValue: try reader.readUInt32("open flags"))
            return .open(id: id, path: path, flags: flags, attributes: try .decode(from: &reader))
        case .close:
            return .close(id: id, handle: try reader.readString("handle"))
        case .read:
            let handle = try reader.readString("handle")
            let offset = try reader.readUInt64("offset")
            return .read(id: id, handle: handle, offset: offset, length: try reader.readUInt32("length"))
        case .write:
            let handle = try reader.readString("handle")
            let offset = try reader.readUInt64("offset")
            return .write(id: id, handle: handle, offset: offset, data: try reader.readString("data"))
        case .lstat:
            return .lstat(id: id, path: try reader.readString("path"))
        case .fstat:
            return .fstat(id: id, handle: try reader.readString("handle"))
        case .setstat:
            let path = try reader.readString("path")
            return .setstat(id: id, path: path, attributes: try .decode(from: &reader))
        case .fsetstat:
            let handle = try reader.readString("handle")
            return .fsetstat(id: id, handle: handle, attributes: try .decode(from: &reader))
        case .opendir:
            return .opendir(id: id, path: try reader.readString("path"))
        case .readdir:
            return .readdir(id: id, handle: try reader.readString("handle"))
        case .remove:
            return .remove(id: id, path: try reader.readString("path"))
        case .mkdir:
            let path = try reader.readString("path")
            return .mkdir(id: id, path: path, attributes: try .decode(from: &reader))
        case .rmdir:
            return .rmdir(id: id, path: try reader.readString("path"))
        case .realpath:
            return .realpath(id: id, path: try reader.readString("path"))
        case .stat:
            return .stat(id: id, path: try reader.readString("path"))
        case .rename:
            let oldPath = try reader.readString("old path")
            return .rename(id: id, oldPath: oldPath, newPath: try reader.readString("new path"))
        case .readlink:
            return .readlink(id: id, path: try reader.readString("path"))
        case .symlink:
            let targetPath = try reader.readString("symlink target path")
            let linkPath = try reader.readString("symlink link path")
            return .symlink(id: id, linkPath: linkPath, targetPath: targetPath)
        case .extended:
            let name = try reader.readText("extension name")
            return .extended(id: id, request: try .decode(name: name, from: &reader))
        case .initialize, .version, .status, .handle, .data, .name, .attrs, .extendedReply:
            return .unknown(type: typeByte, id: id)
        }
    }
}
