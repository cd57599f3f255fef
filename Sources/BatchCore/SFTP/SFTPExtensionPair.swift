/// A name and its data, as SFTP carries them in VERSION/INIT extension
/// lists and in the extended part of file attributes.
public struct SFTPExtensionPair: Sendable, Hashable {
    /// The extension name, such as `limits@openssh.com`.
    public var name: String
    /// The extension's data: a version string in VERSION, opaque bytes in
    /// attributes.
    public var data: [UInt8]

    /// Creates a pair with binary data.
    public init(name: String, data: [UInt8]) {
        self.name = name
        self.data = data
    }

    /// Creates a pair with text data, as VERSION's `"1"`.
    public init(name: String, value: String) {
        self.init(name: name, data: Array(value.utf8))
    }
}
