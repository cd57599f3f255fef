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
        var pending: [String] = []
        if new.listenAddress != old.listenAddress || new.listenPort != old.listenPort { pending.append("ListenAddress") }
        if new.stateDirectory != old.stateDirectory { pending.append("StateDirectory") }
        if new.hostKey != old.hostKey { pending.append("HostKey") }
        if new.eventLoops != old.eventLoops { pending.append("EventLoops") }
        if new.strategy != old.strategy { pending.append("Strategy") }
        if new.logFormat != old.logFormat { pending.append("LogFormat") }
        var applied = new
        // What needs a restart stays as it runs, so -T style reports and
        // later reloads compare against what is really in force.
        applied.listenAddress = old.listenAddress
        applied.listenPort = old.listenPort
        applied.stateDirectory = old.stateDirectory
        applied.hostKey = old.hostKey
        applied.eventLoops = old.eventLoops
        applied.strategy = old.strategy
        applied.logFormat = old.logFormat
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
    }

    static func ingestValues(of configuration: ServerConfiguration) -> IngestSettings.Values {
        IngestSettings.Values(pieceSize: configuration.pieceSize, compressionLevel: configuration.compressionLevel,
                              maxFileSize: configuration.maxFileSize)
    }
}
