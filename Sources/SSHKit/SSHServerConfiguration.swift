/// How the SSH listener behaves. Every field has the safe default an
/// operator of OpenSSH would expect.
public struct SSHServerConfiguration: Sendable {
    public var address: String
    public var port: Int
    /// The ed25519 host key, the one targets pin.
    public var hostKeyPath: String
    /// An RSA host key offered beside it (rsa-sha2-512/256), for clients
    /// without ed25519; created on first start like the other. Nil for none.
    public var rsaHostKeyPath: String?
    /// The algorithms offered, per list; a list not set is its defaults.
    public var algorithms: [Algorithms.Kind: [String]] = [:]

    /// The list of `kind` the server offers.
    public func offered(_ kind: Algorithms.Kind) -> [String] {
        algorithms[kind] ?? kind.defaults
    }
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

    /// Takes every limit from `other`; the address, host keys, algorithms
    /// and loops stay.
    public mutating func takeLimits(from other: SSHServerConfiguration) {
        let kept = self
        self = other
        (address, port, hostKeyPath, rsaHostKeyPath) = (kept.address, kept.port, kept.hostKeyPath, kept.rsaHostKeyPath)
        (algorithms, eventLoops) = (kept.algorithms, kept.eventLoops)
    }

    public init(address: String, port: Int, hostKeyPath: String) {
        self.address = address
        self.port = port
        self.hostKeyPath = hostKeyPath
    }
}
