/// One entry of an SFTP NAME reply: READDIR listings and REALPATH answers.
public struct SFTPNameEntry: Sendable, Hashable {
    /// The name (READDIR) or absolute path (REALPATH).
    public var filename: String
    /// An `ls -l` style line; OpenSSH's `sftp` prints it for `ls -l`.
    public var longname: String
    public var attributes: SFTPAttributes

    /// Creates an entry.
    public init(filename: String, longname: String, attributes: SFTPAttributes) {
        self.filename = filename
        self.longname = longname
        self.attributes = attributes
    }
}
