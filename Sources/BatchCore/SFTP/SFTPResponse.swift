/// A reply from the SFTP server, encoded as a whole wire packet.
public enum SFTPResponse: Sendable, Hashable {
    /// SSH_FXP_VERSION for protocol 3, listing the extensions the server
    /// supports (name and version string, as `("limits@openssh.com", "1")`).
    case version(extensions: [SFTPExtensionPair])
    /// SSH_FXP_STATUS. The language tag is empty as in OpenSSH.
    case status(id: UInt32, code: SFTPStatusCode, message: String, languageTag: String = "")
    case handle(id: UInt32, handle: [UInt8])
    case data(id: UInt32, data: [UInt8])
    case name(id: UInt32, entries: [SFTPNameEntry])
    case attrs(id: UInt32, attributes: SFTPAttributes)
    /// SSH_FXP_EXTENDED_REPLY with an extension-specific body.
    case extendedReply(id: UInt32, data: [UInt8])

    /// The protocol version this server speaks.
    public static let protocolVersion: UInt32 = 3

    /// The reply to `limits@openssh.com`.
    public static func limits(id: UInt32, _ limits: SFTPLimits) -> SFTPResponse {
        .extendedReply(id: id, data: limits.replyBody)
    }

    /// The packet as sent on the channel: `uint32 length`, type, body.
    public func encode() -> [UInt8] {
        switch self {
        case .version(let extensions):
            var writer = SFTPPacketWriter(type: .version)
            writer.writeUInt32(Self.protocolVersion)
            for pair in extensions {
                writer.writeString(pair.name)
                writer.writeString(pair.data)
            }
            return writer.finish()
        case .status(let id, let code, let message, let languageTag):
            var writer = SFTPPacketWriter(type: .status, capacity: 16 + message.utf8.count)
            writer.writeUInt32(id)
            writer.writeUInt32(code.rawValue)
            writer.writeString(message)
            writer.writeString(languageTag)
            return writer.finish()
        case .handle(let id, let handle):
            var writer = SFTPPacketWriter(type: .handle)
            writer.writeUInt32(id)
            writer.writeString(handle)
            return writer.finish()
        case .data(let id, let data):
            var writer = SFTPPacketWriter(type: .data, capacity: 8 + data.count)
            writer.writeUInt32(id)
            writer.writeString(data)
            return writer.finish()
        case .name(let id, let entries):
            var writer = SFTPPacketWriter(type: .name, capacity: 8 + entries.count * 96)
            writer.writeUInt32(id)
            writer.writeUInt32(UInt32(entries.count))
            for entry in entries {
                writer.writeString(entry.filename)
                writer.writeString(entry.longname)
                entry.attributes.encode(into: &writer)
            }
            return writer.finish()
        case .attrs(let id, let attributes):
            var writer = SFTPPacketWriter(type: .attrs)
            writer.writeUInt32(id)
            attributes.encode(into: &writer)
            return writer.finish()
        case .extendedReply(let id, let data):
            var writer = SFTPPacketWriter(type: .extendedReply, capacity: 4 + data.count)
            writer.writeUInt32(id)
            writer.writeBytes(data)
            return writer.finish()
        }
    }
}
