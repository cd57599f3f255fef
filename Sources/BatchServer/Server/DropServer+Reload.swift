import Logging
import SSHKit

extension DropServer {
    /// Applies `new` without dropping a connection: authentication limits
    /// and penalties at once, archive settings from the next batch, upload
    /// limits from the next request. Keys, users and topics need no reload:
    /// they are read from the catalogue on every request. Returns the
    /// changed keywords that only take effect after a restart.
    @discardableResult
    public func reload(_ new: ServerConfiguration) -> [String] {
        let old = configuration
        var ssh = SSHServerConfiguration(address: old.listenAddress, port: old.listenPort, hostKeyPath: old.hostKey)
        DropServer.applyLimits(of: new, to: &ssh)
        sshServer?.updateLimits(ssh)
        context.settings.update(DropServer.ingestValues(of: new))
        // What needs a restart stays as it runs, so later reloads and reports
        // compare against what is really in force; the keyword is named.
        var applied = new
        var pending: [String] = []
        func keepRunning<T: Equatable>(_ keyword: String, _ setting: WritableKeyPath<ServerConfiguration, T>) {
            if applied[keyPath: setting] != old[keyPath: setting], !pending.contains(keyword) { pending.append(keyword) }
            applied[keyPath: setting] = old[keyPath: setting]
        }
        keepRunning("ListenAddress", \.listenAddress)
        keepRunning("ListenAddress", \.listenPort)
        keepRunning("StateDirectory", \.stateDirectory)
        keepRunning("HostKey", \.hostKey)
        keepRunning("KexAlgorithms, Ciphers, MACs, HostKeyAlgorithms", \.algorithms)
        keepRunning("EventLoops", \.eventLoops)
        keepRunning("Strategy", \.strategy)
        keepRunning("LogFormat", \.logFormat)
        keepRunning("MetricsListen", \.metricsListen)
        replaceSettings(applied)
        logger.notice("configuration reloaded", metadata: pending.isEmpty ? [:] : ["needs restart": "\(pending.joined(separator: ","))"])
        return pending
    }

    static func applyLimits(of configuration: ServerConfiguration, to ssh: inout SSHServerConfiguration) {
        ssh.loginGraceTime = configuration.loginGraceTime
        ssh.maxAuthTries = configuration.maxAuthTries
        ssh.maxStartups = configuration.maxStartups
        ssh.perSourceMaxStartups = configuration.perSourceMaxStartups
        ssh.perSourcePenalties = configuration.perSourcePenalties
        ssh.idleTimeout = configuration.idleTimeout
        ssh.maxSessionsPerUser = configuration.maxSessionsPerUser
        ssh.maxChannelsPerSession = configuration.maxChannelsPerSession
    }

    static func ingestValues(of configuration: ServerConfiguration) -> IngestSettings.Values {
        IngestSettings.Values(pieceSize: configuration.pieceSize, compressionLevel: configuration.compressionLevel,
                              maxFileSize: configuration.maxFileSize, topics: configuration.topics,
                              maxOpenFilesPerUser: configuration.maxOpenFilesPerUser,
                              maxOpenBatchesPerUser: configuration.maxOpenBatchesPerUser,
                              maxPreSealHooksPerUser: configuration.maxPreSealHooksPerUser)
    }
}
