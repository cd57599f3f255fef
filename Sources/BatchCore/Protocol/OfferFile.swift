/// One file inside an offered batch, at its path relative to the
/// destination, as it will appear in the archive.
public struct OfferFile: Codable, Sendable, Equatable {
    /// Relative path inside the archive, such as `nightly/app.tar`.
    public var path: String
    /// Size of the file in bytes, before compression.
    public var size: Int64

    /// Creates a file entry.
    public init(path: String, size: Int64) {
        self.path = path
        self.size = size
    }
}
