/// How a client decides that the server at the other end is the right one.
public enum HostKeyPolicy: Sendable, Equatable {
    /// Check the key against an OpenSSH known_hosts file. An unknown host is
    /// refused unless `acceptNew`, which records its key (trust on first
    /// use); a host whose recorded key changed is always refused.
    case knownHosts(path: String, acceptNew: Bool)
    /// Accept exactly this key, as vouched for by a server that knows it.
    case pinned(SSHPublicKey)
}
