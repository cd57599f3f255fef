/// The `pflags` of an SFTP OPEN request (draft-ietf-secsh-filexfer-02,
/// section 6.3). Bits the draft does not define are kept in `rawValue` so
/// the server can refuse what it does not understand.
public struct SFTPOpenFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `SSH_FXF_READ`.
    public static let read = SFTPOpenFlags(rawValue: 0x01)
    /// `SSH_FXF_WRITE`.
    public static let write = SFTPOpenFlags(rawValue: 0x02)
    /// `SSH_FXF_APPEND`: every write goes to the end of the file.
    public static let append = SFTPOpenFlags(rawValue: 0x04)
    /// `SSH_FXF_CREAT`: create the file if it does not exist.
    public static let creat = SFTPOpenFlags(rawValue: 0x08)
    /// `SSH_FXF_TRUNC`: truncate an existing file (needs `creat`).
    public static let trunc = SFTPOpenFlags(rawValue: 0x10)
    /// `SSH_FXF_EXCL`: fail if the file exists (needs `creat`).
    public static let excl = SFTPOpenFlags(rawValue: 0x20)
}
