/// The request line of an HTTP/1.x request, as the metrics endpoint reads
/// it: `GET /metrics HTTP/1.1`. Headers are read past, not interpreted.
public struct HTTPRequestHead: Sendable, Equatable {
    /// `GET`, `HEAD`, …
    public var method: String
    /// The path, without its query string.
    public var path: String

    /// Creates a request head.
    public init(method: String, path: String) {
        self.method = method
        self.path = path
    }

    /// The head of `bytes`, a request up to and including its blank line;
    /// nil when it is not an HTTP/1.x request line (a bad request).
    public init?(parsing bytes: [UInt8]) {
        guard let end = bytes.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        var line = bytes[..<end]
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        let words = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard words.count == 3 else { return nil }
        let method = String(decoding: words[0], as: UTF8.self)
        let target = String(decoding: words[1], as: UTF8.self)
        let version = String(decoding: words[2], as: UTF8.self)
        let token = method.utf8.allSatisfy { (0x41...0x5A).contains($0) }
        let printable = words[1].allSatisfy { $0 > 0x20 && $0 < 0x7F }
        guard !method.isEmpty, token, printable, target.hasPrefix("/"), version == "HTTP/1.1" || version == "HTTP/1.0" else {
            return nil
        }
        self.method = method
        path = String(target.prefix { $0 != "?" })
    }

    /// Whether `bytes` hold a whole request head: the request line and the
    /// headers up to the blank line.
    public static func isComplete(_ bytes: [UInt8]) -> Bool {
        var previous: UInt8 = 0
        var lineLength = 0
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                if lineLength == 0 && previous != 0 { return true }
                lineLength = 0
            } else if byte != UInt8(ascii: "\r") {
                lineLength += 1
            }
            previous = byte
        }
        return false
    }
}
