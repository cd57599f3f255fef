/// The first message each side sends on a subscription channel.
///
/// The server's hello names the user it authenticated on this connection,
/// so a subscriber can check it logged in as whom it meant to; the
/// subscriber's names the user it believes it is. `software` is free text
/// for logs, such as `batchd-recv 1.0`.
///
/// A subscriber that serves pieces to peer targets also says where
/// (`listen`) and with which host key, so the server can vouch for it in
/// the plans it sends to the other targets. The two come together or not
/// at all: a peer address nobody can pin is of no use.
public struct Hello: Codable, Sendable, Equatable {
    /// A user name, as `batchctl user list` shows it.
    public var user: String
    /// Name and version of the program that sent the hello.
    public var software: String
    /// `HOST:PORT` where this subscriber serves pieces to peers; `nil` when
    /// it serves none. A host of `*` asks the server to use the address the
    /// subscriber's connection comes from.
    public var listen: String?
    /// The public host key of the peer listener, as `TYPE BASE64`; present
    /// exactly when `listen` is.
    public var hostKey: String?

    /// Creates a hello.
    public init(user: String, software: String, listen: String? = nil, hostKey: String? = nil) {
        self.user = user
        self.software = software
        self.listen = listen
        self.hostKey = hostKey
    }

    /// The field names on the wire and in stored JSON.
    private enum CodingKeys: String, CodingKey {
        case user, software, listen
        case hostKey = "host_key"
    }
}
