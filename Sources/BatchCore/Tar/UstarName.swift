/// The ustar `prefix` and `name` fields that together spell a path
/// (`prefix + "/" + name`), or nothing when the path cannot be stored that way.
struct UstarName: Equatable {
    /// Up to 155 bytes: the leading directories.
    var prefix: [UInt8]
    /// Up to 100 bytes: the rest of the path.
    var name: [UInt8]

    static let nameCapacity = 100
    static let prefixCapacity = 155

    /// Splits `path` into ustar fields, using the shortest prefix that lets
    /// the name fit. Returns nil when the path needs a pax `path` record:
    /// non-ASCII bytes (ustar's portable character set is ASCII, and readers
    /// differ on how they decode anything else), or no slash that splits it
    /// into fields that fit.
    static func split(_ path: String) -> UstarName? {
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, bytes.allSatisfy({ $0 > 0 && $0 < 0x80 }) else { return nil }
        if bytes.count <= nameCapacity {
            return UstarName(prefix: [], name: bytes)
        }
        // The name must be non-empty, so a directory's trailing slash is never the split point.
        for index in bytes.indices where bytes[index] == UInt8(ascii: "/") && index < bytes.count - 1 {
            let nameCount = bytes.count - index - 1
            guard nameCount <= nameCapacity else { continue }
            guard index <= prefixCapacity, index > 0 else { return nil }
            return UstarName(prefix: Array(bytes[..<index]), name: Array(bytes[(index + 1)...]))
        }
        return nil
    }

    /// Fields for a path stored in a pax record: an ASCII stand-in that a
    /// reader without pax support would still extract somewhere harmless.
    /// Non-ASCII bytes become `_`; an over-long path keeps its last 100 bytes.
    static func fallback(for path: String) -> UstarName {
        let ascii = path.utf8.map { $0 > 0 && $0 < 0x80 ? $0 : UInt8(ascii: "_") }
        if let fields = split(String(decoding: ascii, as: UTF8.self)) {
            return fields
        }
        return UstarName(prefix: [], name: Array(ascii.suffix(nameCapacity)))
    }
}
