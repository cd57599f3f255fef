/// Failures of the SSH layer, each a sentence an operator can act on.
public enum SSHKitError: Error, Sendable, Equatable, CustomStringConvertible {
    case hostKeyUnreadable(path: String, reason: String)
    case hostKeyCreation(path: String, reason: String)
    case keyParse(String)
    case bindOption(option: String, reason: String)
    case listen(address: String, port: Int, reason: String)
    case eventLoop(String)
    /// The TCP connection or the key exchange with a server failed.
    case connect(host: String, port: Int, reason: String)
    /// The server's host key is not in the known_hosts file, and trusting
    /// new hosts was not asked for.
    case hostKeyUnknown(host: String, port: Int, fingerprint: String, knownHostsPath: String)
    /// The known_hosts file holds a different key for this host: a possible
    /// man-in-the-middle. `lines` are the entries that name the host.
    case hostKeyChanged(host: String, port: Int, fingerprint: String, knownHostsPath: String, lines: [Int])
    /// The server's host key is not the one pinned for it.
    case hostKeyMismatch(host: String, port: Int, expected: String, got: String)
    /// The known_hosts file cannot be read or written.
    case knownHosts(path: String, reason: String)
    /// The client's private key cannot be used.
    case identityUnreadable(path: String, reason: String)
    /// The server refused the client's key.
    case authenticationFailed(user: String, host: String)
    /// Opening a channel, or I/O on it, failed.
    case channel(String)
    /// The channel, or its connection, was closed on this side.
    case channelClosed

    public var description: String {
        switch self {
        case .hostKeyUnreadable(let path, let reason):
            return "cannot read host key \(path): \(reason); remove it to have a new one created, or fix its permissions"
        case .hostKeyCreation(let path, let reason):
            return "cannot create host key \(path): \(reason); check that its folder exists and is writable"
        case .keyParse(let reason):
            return "cannot parse public key: \(reason)"
        case .bindOption(let option, let reason):
            return "libssh refused server option \(option): \(reason)"
        case .listen(let address, let port, let reason):
            return "cannot listen on \(address):\(port): \(reason); is another server using that port?"
        case .eventLoop(let reason):
            return "SSH event loop failed: \(reason)"
        case .connect(let host, let port, let reason):
            return "cannot connect to \(host) port \(port): \(reason); check the address and that the server is running"
        case .hostKeyUnknown(let host, let port, let fingerprint, let path):
            return "the host key of \(host) port \(port) (\(fingerprint)) is not in \(path); "
                + "check that fingerprint against `batchctl host-key` on the server, "
                + "then run again with --accept-new-host-key to trust it on first use"
        case .hostKeyChanged(let host, let port, let fingerprint, let path, let lines):
            let entry = KnownHostsFile.hostPattern(host: host, port: port)
            let offending = lines.isEmpty
                ? "its entry in \(path)"
                : (lines.count == 1 ? "line \(lines[0])" : "lines \(lines.map(String.init).joined(separator: ", "))")
                    + " of \(path)"
            return "WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED for \(host) port \(port)! "
                + "Someone could be intercepting this connection, or the server's host key was replaced. "
                + "The server offered \(fingerprint), which is not the key recorded in \(path); the connection was refused. "
                + "Only if the change is expected (check `batchctl host-key` on the server): remove \(offending) "
                + "(or run `ssh-keygen -R '\(entry)' -f \(path)`) and connect again with --accept-new-host-key"
        case .hostKeyMismatch(let host, let port, let expected, let got):
            return "the host key of \(host) port \(port) is \(got), not the pinned \(expected); "
                + "the connection was refused: the peer is not the one the server vouched for"
        case .knownHosts(let path, let reason):
            return "cannot use known_hosts file \(path): \(reason); check its permissions and those of its folder"
        case .identityUnreadable(let path, let reason):
            return "cannot use identity \(path): \(reason); give an unencrypted OpenSSH private key "
                + "(ed25519, ecdsa or rsa), such as one made by `ssh-keygen -t ed25519 -N ''`"
        case .authenticationFailed(let user, let host):
            return "\(host) refused the key for user \(user); check that the identity's public key is registered for \(user) on the server"
        case .channel(let reason):
            return "SSH channel failed: \(reason)"
        case .channelClosed:
            return "the SSH channel is closed; open a new one (reconnecting if the connection is gone)"
        }
    }
}
