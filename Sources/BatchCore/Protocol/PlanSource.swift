/// One place a target may fetch a batch's pieces from: the server, or a
/// peer target's listener that the server vouches for.
public struct PlanSource: Codable, Sendable, Equatable {
    /// The name ``PlanSource/server`` uses; every other source is a target
    /// user.
    public static let serverName = "server"

    /// The batchd server itself, over the subscriber's own connection.
    public static let server = PlanSource(name: serverName, address: nil, hostKey: nil)

    /// `server`, or the user name of a peer target.
    public var name: String
    /// `HOST:PORT` of the peer's listener; `nil` for the server.
    public var address: String?
    /// The peer listener's public host key as `TYPE BASE64`, which the
    /// fetching side pins; `nil` for the server, whose key it already knows.
    public var hostKey: String?

    /// Creates a source.
    public init(name: String, address: String?, hostKey: String?) {
        self.name = name
        self.address = address
        self.hostKey = hostKey
    }

    /// Whether this is the server rather than a peer.
    public var isServer: Bool { name == Self.serverName }

    /// The field names on the wire and in stored JSON.
    private enum CodingKeys: String, CodingKey {
        case name, address
        case hostKey = "host_key"
    }
}
