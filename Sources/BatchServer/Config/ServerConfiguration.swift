import BatchCore
import Foundation
import BatchStore
import Logging
import SSHKit

/// Everything batchd.conf(5) can set, with the embedded defaults that let
/// batchd run with no config file at all.
public struct ServerConfiguration: Sendable, Equatable {
    public var listenAddress = "127.0.0.1"
    public var listenPort = 2222
    public var stateDirectory = StateLayout.defaultDirectory
    public var hostKey = "./keys/ssh_host_ed25519_key"
    /// The algorithms offered, per list, when the config sets them.
    public var algorithms: [Algorithms.Kind: [String]] = [:]

    /// The list of `kind` offered.
    public func offered(_ kind: Algorithms.Kind) -> [String] {
        algorithms[kind] ?? kind.defaults
    }

    /// The RSA host key beside `hostKey` (`ssh_host_rsa_key` in its
    /// folder), offered while HostKeyAlgorithms has an RSA algorithm.
    public var rsaHostKey: String? {
        guard offered(.hostKeys).contains(where: Algorithms.isRSA) else { return nil }
        return ServerConfiguration.rsaHostKey(beside: hostKey)
    }

    /// Where the RSA host key is kept for the ed25519 key at `hostKey`.
    public static func rsaHostKey(beside hostKey: String) -> String {
        let folder = (hostKey as NSString).deletingLastPathComponent
        return (folder.isEmpty ? "" : folder + "/") + "ssh_host_rsa_key"
    }
    public var loginGraceTime: Double = 30
    public var maxAuthTries = 6
    public var maxStartups = 100
    /// Unauthenticated connections per source address; nil for none.
    public var perSourceMaxStartups: Int?
    /// Penalties for addresses that fail to authenticate; nil for none.
    public var perSourcePenalties: PenaltyPolicy? = .standard
    public var idleTimeout: Double = 0
    /// Authenticated connections per user.
    public var maxSessionsPerUser = 16
    /// Channels per connection.
    public var maxChannelsPerSession = 10
    /// SFTP handles and scp files one user may have open at once, across
    /// all connections: each holds a descriptor.
    public var maxOpenFilesPerUser = 256
    /// Open (not yet sealed) batches per user.
    public var maxOpenBatchesPerUser = 16
    /// Pre-seal hooks of one user's batches running at once; others wait.
    public var maxPreSealHooksPerUser = 2
    public var eventLoops = 2
    public var pieceSize = 4 << 20
    public var compressionLevel: Int32 = 6
    /// 16 GiB unless the config says otherwise.
    public var maxFileSize: UInt64 = 16 << 30
    public var logLevel: Logger.Level = .info
    public var logFormat = LogFormat.text
    /// How relays among targets are ranked.
    public var strategy = RelayStrategy.throughput
    /// Retention, size limits, quotas and the pre-seal hook, per topic.
    public var topics = TopicRules()
    /// Where the Prometheus endpoint listens (a loopback address); nil for none.
    public var metricsListen: HostPort?

    public init() {}
}
