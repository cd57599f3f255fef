import Foundation

/// A host and TCP port, written `127.0.0.1:2222`, `[::1]:2222`,
/// `localhost:2222` or `*:2222` (every address).
public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    /// The host: an IPv4 or IPv6 address (without brackets), a host name,
    /// or `*` for every address.
    public var host: String
    /// The port; 0 asks the system for a free one.
    public var port: Int

    /// Creates a value.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`; an IPv6 address must be in brackets.
    public init(parsing value: String) throws(ConfigProblem) {
        let expected = "HOST:PORT such as 127.0.0.1:2222, [::1]:2222 or *:2222"
        let host: Substring
        let portText: Substring
        if value.hasPrefix("[") {
            guard let close = value.firstIndex(of: "]") else { throw .invalidValue(value, expected: expected) }
            host = value[value.index(after: value.startIndex) ..< close]
            let rest = value[value.index(after: close)...]
            guard rest.hasPrefix(":") else { throw .invalidValue(value, expected: expected) }
            portText = rest.dropFirst()
            let allowed = host.unicodeScalars.allSatisfy { $0.properties.isASCIIHexDigit || $0 == ":" || $0 == "." }
            guard host.contains(":"), allowed else { throw .invalidValue(value, expected: expected) }
        } else {
            guard let colon = value.lastIndex(of: ":") else { throw .invalidValue(value, expected: expected) }
            host = value[..<colon]
            portText = value[value.index(after: colon)...]
            let allowed = host.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A)
                    || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            }
            guard host == "*" || allowed else { throw .invalidValue(value, expected: expected) }
        }
        guard !host.isEmpty, !portText.isEmpty, portText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), portText.count <= 5,
              let port = Int(portText), port <= 65535
        else {
            throw .invalidValue(value, expected: expected)
        }
        self.init(host: String(host), port: port)
    }

    /// Whether the host is `*`: listen on every address.
    public var isWildcard: Bool { host == "*" }

    /// Whether the host is a loopback address: `127.0.0.0/8`, `::1`, or
    /// `localhost`. Other names are not, whatever they resolve to today.
    public var isLoopback: Bool {
        if host.lowercased() == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return UInt32(bigEndian: v4.s_addr) >> 24 == 127
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, host, &v6) == 1 else { return false }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        return bytes.dropLast().allSatisfy { $0 == 0 } && bytes.last == 1
    }

    /// The value as it would be written in a configuration file.
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
