/// Where a connection comes from: the client's numeric address and port,
/// as its socket gave them, so that nothing parses them back from text.
/// Written `192.0.2.7:40222` or `[2001:db8::1]:40222`.
public struct PeerAddress: Sendable, Hashable, CustomStringConvertible {
    /// A numeric IPv4 or IPv6 address (no brackets), or `unknown`.
    public let host: String
    /// The client's port; nil when the socket could not say.
    public let port: Int?

    public init(host: String, port: Int?) {
        self.host = host
        self.port = port
    }

    /// A socket whose peer could not be read.
    public static let unknown = PeerAddress(host: "unknown", port: nil)

    public var description: String {
        guard let port else { return host }
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
