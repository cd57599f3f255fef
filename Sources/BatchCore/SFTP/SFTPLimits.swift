/// The answer to `limits@openssh.com` (OpenSSH PROTOCOL, section 4.8).
/// OpenSSH's `sftp` and `scp` size their READ and WRITE requests from it,
/// so advertising large limits is what makes uploads move in big chunks.
public struct SFTPLimits: Sendable, Hashable {
    /// Largest packet the server accepts, length prefix excluded.
    public var maxPacketLength: UInt64
    /// Largest READ length the server honours.
    public var maxReadLength: UInt64
    /// Largest WRITE data length the server accepts.
    public var maxWriteLength: UInt64
    /// Handles a client may hold open at once; 0 means no stated limit.
    public var maxOpenHandles: UInt64

    /// Creates limits.
    public init(maxPacketLength: UInt64, maxReadLength: UInt64, maxWriteLength: UInt64, maxOpenHandles: UInt64) {
        self.maxPacketLength = maxPacketLength
        self.maxReadLength = maxReadLength
        self.maxWriteLength = maxWriteLength
        self.maxOpenHandles = maxOpenHandles
    }

    /// The values OpenSSH's sftp-server advertises: the framer's packet cap,
    /// and read/write lengths 1 KiB below it to leave room for the headers.
    public static func matchingFramer(maxOpenHandles: UInt64) -> SFTPLimits {
        let packet = UInt64(SFTPFramer.maxPacketLength)
        return SFTPLimits(
            maxPacketLength: packet, maxReadLength: packet - 1024, maxWriteLength: packet - 1024,
            maxOpenHandles: maxOpenHandles)
    }

    /// The EXTENDED_REPLY body: four uint64 values in the order above.
    public var replyBody: [UInt8] {
        var writer = SFTPPacketWriter(bodyCapacity: 32)
        writer.writeUInt64(maxPacketLength)
        writer.writeUInt64(maxReadLength)
        writer.writeUInt64(maxWriteLength)
        writer.writeUInt64(maxOpenHandles)
        return writer.bytes
    }
}
