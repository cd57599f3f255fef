/// Where and as whom an `SSHClientSession` connects.
public struct SSHClientConfiguration: Sendable {
    /// Host name or address of the server.
    public var host: String
    /// TCP port of the server.
    public var port: Int
    /// The account to authenticate as.
    public var user: String
    /// An unencrypted OpenSSH private key file: ed25519, ecdsa or rsa.
    public var identityPath: String
    public var hostKeyPolicy: HostKeyPolicy
    /// Seconds allowed for the TCP connection and key exchange; it also
    /// bounds each later wait on the server (opening a channel, an exit
    /// status after EOF, one round of waiting for a write window).
    public var connectTimeout: Double = 10

    /// A configuration with the default connect timeout.
    public init(host: String, port: Int, user: String, identityPath: String, hostKeyPolicy: HostKeyPolicy) {
        self.host = host
        self.port = port
        self.user = user
        self.identityPath = identityPath
        self.hostKeyPolicy = hostKeyPolicy
    }
}
