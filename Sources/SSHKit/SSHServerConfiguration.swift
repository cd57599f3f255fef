/// How the SSH listener behaves. Every field has the safe default an
/// operator of OpenSSH would expect.
public struct SSHServerConfiguration: Sendable {
    public var address: String
    public var port: Int
    public var hostKeyPath: String
    /// Seconds a connection has to complete key exchange and authentication.
    public var loginGraceTime: Double = 30
    /// Failed authentication requests allowed per connection (OpenSSH: 6).
    public var maxAuthTries: Int = 6
    /// Connections that have not yet authenticated, across all sources.
    public var maxStartups: Int = 100
    /// Connections that have not yet authenticated, per source address;
    /// nil for no limit beyond `maxStartups`.
    public var perSourceMaxStartups: Int?
    /// Penalties for addresses whose connections fail to authenticate;
    /// nil turns them off.
    public var perSourcePenalties: PenaltyPolicy? = .standard
    /// Seconds without any traffic before an authenticated connection is
    /// closed; 0 keeps idle connections forever (subscribers idle by design).
    public var idleTimeout: Double = 0
    /// Authenticated connections one user may hold at once; a login past
    /// it is closed with a message saying so.
    public var maxSessionsPerUser: Int = 16
    /// Channels one connection may have open at once (OpenSSH's
    /// MaxSessions).
    public var maxChannelsPerSession: Int = 10
    /// Number of `ssh_event` loop threads that share the connections.
    public var eventLoops: Int = 2

    /// Takes every limit from `other`; the address, host key and loops stay.
    public mutating func takeLimits(from other: SSHServerConfiguration) {
        let (address, port, hostKeyPath, eventLoops) = (self.address, self.port, self.hostKeyPath, self.eventLoops)
        self = other
        (self.address, self.port, self.hostKeyPath, self.eventLoops) = (address, port, hostKeyPath, eventLoops)
    }

    public init(address: String, port: Int, hostKeyPath: String) {
        self.address = address
        self.port = port
        self.hostKeyPath = hostKeyPath
    }
}
