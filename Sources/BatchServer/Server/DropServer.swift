import BatchCore
import BatchStore
import Foundation
import Locking
import Logging
import SSHKit

/// batchd's lifetime: it opens the state directory and the catalogue, puts
/// right what a previous run cut short, starts and stops the SSH listener,
/// the sweeps and the metrics endpoint, and applies reloads. Requests go
/// to the `RequestRouter`, session events to the `SessionEventLog`.
/// `server` is set by `start` and cleared by `stop`, both called from the
/// thread that owns the process's lifetime; the loops only call the
/// delegate methods, which read immutable state or the current settings.
public final class DropServer: SSHServerDelegate, @unchecked Sendable {
    /// The settings in force: those started with, as reloads changed them.
    public var configuration: ServerConfiguration { settings.withLock { $0 } }
    private let settings: Locked<ServerConfiguration>
    let context: IngestContext
    /// Users' roles and keys in memory: logins and requests on the loops
    /// read these, never the catalogue.
    let access: AccessView
    let logger: Logger
    private let router: RequestRouter
    private let events: SessionEventLog
    private let revocations: RevocationSweep
    private var server: SSHServer?
    /// The listener while running, for a reload.
    var sshServer: SSHServer? { server }

    func replaceSettings(_ new: ServerConfiguration) {
        settings.withLock { $0 = new }
    }
    private let sweeper: RetentionSweeper
    /// The Prometheus endpoint while running, when `MetricsListen` names one.
    private var metrics: MetricsEndpoint?
    /// When this server was created, for `batchd_start_time_seconds`.
    let startTime = Date()

    /// Opens the catalogue and prepares the state directory. Batches a
    /// previous run left open are sealed from staging, in the background,
    /// when their upload had finished, and marked failed otherwise.
    public init(configuration: ServerConfiguration, logger: Logger) throws {
        settings = Locked(configuration)
        self.logger = logger
        let layout = StateLayout(directory: configuration.stateDirectory)
        for folder in [layout.directory, layout.staging, layout.archives] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        let catalogue = try Catalogue(path: layout.catalogue)
        access = try AccessView(catalogue: catalogue, logger: logger)
        context = IngestContext(
            catalogue: catalogue, layout: layout, settings: IngestSettings(DropServer.ingestValues(of: configuration)),
            access: access, ids: BatchIDs(after: try catalogue.lastBatchID()), writer: IngestWriter(catalogue: catalogue),
            sealedDrops: SealedDrops(try catalogue.drops(since: SealedDrops.now - SealedDrops.window)), logger: logger,
            notifier: Notifier(catalogue: catalogue, strategy: configuration.strategy, logger: logger))
        sweeper = RetentionSweeper(catalogue: catalogue, settings: context.settings, notifier: context.notifier, logger: logger)
        revocations = RevocationSweep(notifier: context.notifier, context: context, access: access)
        events = SessionEventLog(logger: logger)
        router = RequestRouter(context: context, access: access, logger: logger,
                               configuration: { [settings] in settings.withLock { $0 } })
        try InterruptedBatches(context: context, logger: logger).recover()
    }

    /// Binds the port and starts serving. Returns the port bound.
    @discardableResult
    public func start() throws -> Int {
        let configuration = self.configuration
        // Bound before the SSH port, so a taken metrics port stops the start
        // before anyone can connect.
        let metrics = try configuration.metricsListen.map { address in try MetricsEndpoint(address: address, logger: logger) }
        var ssh = SSHServerConfiguration(
            address: configuration.listenAddress, port: configuration.listenPort, hostKeyPath: configuration.hostKey)
        DropServer.applyLimits(of: configuration, to: &ssh)
        ssh.eventLoops = configuration.eventLoops
        ssh.rsaHostKeyPath = configuration.rsaHostKey
        ssh.algorithms = configuration.algorithms
        let server = try SSHServer(configuration: ssh, delegate: self)
        for key in [server.hostKey] + (server.rsaHostKey.map { [$0] } ?? []) {
            if key.created {
                logger.notice("created host key", metadata: ["path": "\(key.path)"])
            }
            logger.notice("host key", metadata: ["fingerprint": "\(key.fingerprint)", "type": "\(key.publicKey.type)"])
        }
        access.start()
        server.start()
        self.server = server
        revocations.start()
        sweeper.start()
        logger.notice("listening", metadata: ["address": "\(configuration.listenAddress):\(server.boundPort)",
                                              "state": "\(configuration.stateDirectory)"])
        if let metrics {
            metrics.start(render: metricsPage(ssh: server))
            self.metrics = metrics
            logger.notice("metrics listening", metadata: ["address": "\(metrics.address)", "path": "/metrics"])
        }
        return server.boundPort
    }

    /// Closes every connection; batches of closed channels seal as usual.
    /// Waits up to `timeout` seconds for the seals this causes to finish.
    public func stop(timeout: Double = 120) {
        metrics?.stop()
        metrics = nil
        revocations.stop()
        sweeper.stop()
        access.stop()
        server?.stop()
        server = nil
        // What subscribers said before their channels closed is recorded.
        context.notifier.settle()
        // Every channel is closed: batches waiting out their quiet time
        // seal now, and those waiting for an explicit `seal` that will not
        // come now are failed rather than sealed incomplete.
        for batch in context.batches.all {
            if batch.policy.batchSeal == .auto {
                batch.seal()
            } else {
                batch.abandon(reason: "batchd stopped before the source sealed the batch")
            }
        }
        let sealed = context.pendingSeals.wait(timeout: .now() + timeout)
        // The rows of batches that never sealed, and their failures, are written.
        context.writer.settle()
        if sealed == .timedOut {
            logger.error("""
                stopping with batches still sealing; the next start seals them from staging, or fails those still \
                in their pre-seal hook
                """)
        }
    }

    // MARK: - SSHServerDelegate

    public func isAuthorized(user: String, key: SSHPublicKey, peer: PeerAddress) -> Bool {
        // Unknown users and unknown keys take the same path and answer.
        access.isActive(key: key.base64, of: user)
    }

    public func handler(for request: SSHChannelRequest, session: SSHSessionInfo, channel: SSHChannel) -> SSHChannelHandler? {
        router.handler(for: request, session: session, channel: channel)
    }

    public func sessionEvent(_ event: SSHSessionEvent) {
        events.record(event)
    }
}
