import BatchArchive
import BatchCore
import SSHKit

/// How batchd-recv answers offers.
public enum AcceptPolicy: String, Sendable, CaseIterable {
    /// Accept every offer.
    case auto
    /// Decline every offer, with a reason the source sees.
    case never
    /// Ask on the terminal, showing the offer's files and size.
    case ask
}

/// Everything batchd-recv(1) and batchd-recv.conf(5) can set.
public struct ReceiverConfiguration: Sendable {
    public var server = HostPort(host: "127.0.0.1", port: 2222)
    public var user = ""
    public var identity = ""
    public var inbox = ""
    /// Defaults to `INBOX/.batchd-recv/known_hosts`.
    public var knownHosts: String?
    public var acceptNewHostKey = false
    public var accept = AcceptPolicy.auto
    public var extract = false
    /// How many times its archive's size an extraction may write.
    public var maxExpansion = ExtractionLimits.standard.maxExpansion
    public var once = false
    /// Where to serve pieces to peer targets; nil serves none.
    public var listen: HostPort?
    /// Seconds of silence on the subscribe channel before a keep-alive.
    public var keepAliveInterval: Double = 30
    /// Longest wait between reconnection attempts, in seconds.
    public var maxBackoff: Double = 30

    public init() {}

    /// The receiver's own files: partial archives and the known_hosts file.
    public var stateDirectory: String { inbox + "/.batchd-recv" }

    public var knownHostsPath: String { knownHosts ?? stateDirectory + "/known_hosts" }

    /// The client settings for one connection to the server.
    var client: SSHClientConfiguration {
        SSHClientConfiguration(host: server.host, port: server.port, user: user, identityPath: identity,
                               hostKeyPolicy: .knownHosts(path: knownHostsPath, acceptNew: acceptNewHostKey))
    }
}
