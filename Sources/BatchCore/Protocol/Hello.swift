/// The first message each side sends on a subscription channel.
///
/// The server's hello names the user it authenticated on this connection,
/// so a subscriber can check it logged in as whom it meant to; the
/// subscriber's names the user it believes it is. `software` is free text
/// for logs, such as `batchd-recv 1.0`.
public struct Hello: Codable, Sendable, Equatable {
    /// A user name, as `batchctl user list` shows it.
    public var user: String
    /// Name and version of the program that sent the hello.
    public var software: String

    /// Creates a hello.
    public init(user: String, software: String) {
        self.user = user
        self.software = software
    }
}
