/// Splits paths at their `/` bytes. Never split a path with
/// `String.split(separator: "/")`: that compares grapheme clusters, and a
/// `/` followed by a combining mark (`/\u{65A}`) is one cluster that is not
/// `/`, so `../\u{65A}x` would come back as one harmless-looking component
/// while every filesystem and tar sees `..` in it.
public enum PathComponents {
    /// The components of `path` between `/` bytes.
    public static func split(_ path: some StringProtocol, omittingEmpty: Bool = true) -> [String] {
        path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: omittingEmpty)
            .map { String(decoding: $0, as: UTF8.self) }
    }

    /// Whether `name` holds a `/` byte anywhere.
    public static func containsSeparator(_ name: some StringProtocol) -> Bool {
        name.utf8.contains(UInt8(ascii: "/"))
    }
}
