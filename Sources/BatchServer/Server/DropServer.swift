import BatchCore
import BatchStore
import Foundation
import Locking
import Logging
import SSHKit

/// batchd itself: the SSH listener wired to the catalogue, the ingest of
/// dropped files, and the commands users run over `ssh`.
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
    private let faults = FaultInjection()
    private var server: SSHServer?
    /// The listener while running, for a reload.
    var sshServer: SSHServer? { server }

    func replaceSettings(_ new: ServerConfiguration) {
        settings.withLock { $0 = new }
    }
    private var revocationTimer: DispatchSourceTimer?
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
            access: access, ids: BatchIDs(after: try catalogue.lastBatchID()),
            sealedDrops: SealedDrops(try catalogue.drops(since: SealedDrops.now - SealedDrops.window)), logger: logger,
            notifier: Notifier(catalogue: catalogue, strategy: configuration.strategy, logger: logger))
        sweeper = RetentionSweeper(catalogue: catalogue, settings: context.settings, notifier: context.notifier, logger: logger)
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
        let timer = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
        timer.schedule(deadline: .now() + .seconds(2), repeating: .seconds(2))
        timer.setEventHandler { [notifier = context.notifier, context, access] in
            notifier.checkRevocations(isActive: access.isActive)
            context.credentials.sweep(isActive: access.isActive)
        }
        timer.resume()
        revocationTimer = timer
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
        revocationTimer?.cancel()
        revocationTimer = nil
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
        var log = logger
        log[metadataKey: "user"] = "\(session.user)"
        log[metadataKey: "peer"] = "\(session.peer)"
        // The key and the role are checked again on every request: a
        // revoked key or a removed user is cut off at the next one, not at
        // the next login.
        guard let user = access.access(of: session.user) else {
            log.warning("request from a user that no longer exists refused")
            return nil
        }
        guard user.keys.contains(session.key.base64) else {
            log.warning("request with a revoked key refused")
            return failure("batchd: the key this session logged in with has been revoked", status: 1, channel: channel)
        }
        let role = user.role
        switch request {
        case .subsystem("sftp"):
            guard role == .source else { return refuse(request, role: role, log: log, channel: channel) }
            return SFTPChannelHandler(drops: DropSession(session: session, context: context), logger: log)
        case .subsystem(let name):
            log.notice("unknown subsystem refused", metadata: ["subsystem": "\(name)"])
            return nil
        case .exec(let line):
            return exec(line, role: role, session: session, channel: channel, log: log)
        }
    }

    public func sessionEvent(_ event: SSHSessionEvent) {
        switch event {
        case .connected(let id, let peer):
            logger.debug("connection", metadata: ["session": "\(id)", "peer": "\(peer)"])
        case .authenticated(let info, let keyType):
            logger.info("authenticated", metadata: ["session": "\(info.id)", "user": "\(info.user)", "peer": "\(info.peer)", "key": "\(keyType)"])
        case .authenticationFailed(let id, let peer, let user, let keyType):
            logger.notice("authentication refused", metadata: ["session": "\(id)", "user": "\(user)", "peer": "\(peer)", "key": "\(keyType)"])
        case .tooManyAuthFailures(let id, let peer):
            logger.warning("too many authentication failures, disconnecting", metadata: ["session": "\(id)", "peer": "\(peer)"])
        case .loginGraceExpired(let id, let peer):
            logger.notice("login grace time expired, disconnecting", metadata: ["session": "\(id)", "peer": "\(peer)"])
        case .idleTimeout(let id, let peer):
            logger.notice("idle timeout, disconnecting", metadata: ["session": "\(id)", "peer": "\(peer)"])
        case .refused(let peer, let reason):
            logger.warning("connection refused", metadata: ["peer": "\(peer)", "reason": "\(reason)"])
        case .acceptFailed(let reason, let retryIn):
            logger.error("cannot accept connections, retrying", metadata: ["reason": "\(reason)", "retry_in": "\(retryIn)"])
        case .keyExchangeFailed(let peer, let reason):
            logger.notice("key exchange failed", metadata: ["peer": "\(peer)", "reason": "\(reason)"])
        case .requestRefused(let info, let request):
            logger.notice("request refused", metadata: ["user": "\(info?.user ?? "-")", "peer": "\(info.map { "\($0.peer)" } ?? "-")", "request": "\(request)"])
        case .disconnected(let id, let peer, let user, let reason):
            logger.debug("disconnected", metadata: ["session": "\(id)", "user": "\(user ?? "-")", "peer": "\(peer)",
                                                    "reason": "\(reason)"])
        }
    }

    // MARK: - Exec commands

    private func exec(_ line: String, role: Role, session: SSHSessionInfo, channel: SSHChannel, log: Logger) -> SSHChannelHandler? {
        let words: [String]
        do {
            words = try ExecCommandLine.split(line)
        } catch {
            return usage("batchd: \(error)", channel: channel)
        }
        log.info("exec", metadata: ["command": "\(words.first ?? "")"])
        switch words.first {
        case "scp":
            guard role == .source else { return refuse(.exec(line), role: role, log: log, channel: channel) }
            return SCPChannelHandler(arguments: Array(words.dropFirst()), channel: channel,
                                     drops: DropSession(session: session, context: context), logger: log)
        case "seal":
            guard role == .source else { return refuse(.exec(line), role: role, log: log, channel: channel) }
            switch SealCommand.parse(Array(words.dropFirst())) {
            case .failure(let error):
                return usage(error.description, channel: channel)
            case .success(let command):
                let (batches, user) = (context.batches, session.user)
                return CommandChannelHandler(channel: channel) { _, output in
                    command.run(source: user, batches: batches, output: output)
                }
            }
        case "batches":
            guard role == .source || role == .admin else { return refuse(.exec(line), role: role, log: log, channel: channel) }
            var arguments = ["batch", "list", "--source", session.user]
            for word in words.dropFirst() {
                guard word == "--json" else {
                    return usage("batches: unknown option '\(word)'; usage: batches [--json]", channel: channel)
                }
                arguments.append(word)
            }
            return adminCommand(arguments, channel: channel)
        case "subscribe":
            guard role == .target else { return refuse(.exec(line), role: role, log: log, channel: channel) }
            guard words.count == 1 else { return usage("usage: subscribe", channel: channel) }
            return SubscribeChannelHandler(channel: channel, user: session.user, key: session.key.base64, peer: session.peer,
                                           notifier: context.notifier, logger: log)
        case "fetch":
            guard role == .target else { return refuse(.exec(line), role: role, log: log, channel: channel) }
            do {
                let request = try FetchRequest.parse(arguments: words)
                return FetchChannelHandler(request: request, user: session.user, channel: channel,
                                           notifier: context.notifier, faults: faults, logger: log)
            } catch {
                return usage("fetch: \(error)", channel: channel)
            }
        case "watch":
            guard role == .source || role == .admin else { return refuse(.exec(line), role: role, log: log, channel: channel) }
            return watch(Array(words.dropFirst()), role: role, user: session.user, channel: channel)
        case "batchctl":
            guard role == .admin else { return refuse(.exec(line), role: role, log: log, channel: channel) }
            return adminCommand(Array(words.dropFirst()), channel: channel)
        default:
            let name = words.first ?? ""
            return failure("batchd: unknown command '\(name)'; this server runs: scp, seal, batches, watch, subscribe, fetch, batchctl (admins)",
                           status: 127, channel: channel)
        }
    }

    private func watch(_ arguments: [String], role: Role, user: String, channel: SSHChannel) -> SSHChannelHandler {
        let json = arguments.contains("--json")
        let rest = arguments.filter { $0 != "--json" }
        guard rest.count == 1, let id = Int64(rest[0]), id > 0 else {
            return usage("usage: watch ID [--json]", channel: channel)
        }
        return WatchChannelHandler(batch: id, owner: role == .admin ? nil : user, json: json, channel: channel,
                                   catalogue: context.catalogue)
    }

    private func usage(_ text: String, channel: SSHChannel) -> SSHChannelHandler {
        failure(text, status: 64, channel: channel)
    }

    /// A one-line refusal on stderr. It often quotes what the client sent
    /// (a command name, an option, a destination), so it is escaped here,
    /// once, for every refusal.
    private func failure(_ text: String, status: Int32, channel: SSHChannel) -> SSHChannelHandler {
        CommandChannelHandler(channel: channel) { _, output in
            output.writeError(TerminalText.escaped(text) + "\n")
            return status
        }
    }

    private func adminCommand(_ arguments: [String], channel: SSHChannel) -> SSHChannelHandler {
        let catalogue = context.catalogue
        let layout = context.layout
        let hostKey = configuration.hostKey
        let topics = configuration.topics
        // Only `--key -` reads standard input; waiting for EOF otherwise
        // would hang an interactive `ssh`.
        let readsInput = zip(arguments, arguments.dropFirst()).contains { $0 == "--key" && $1 == "-" }
        let access = self.access
        return CommandChannelHandler(channel: channel, readsInput: readsInput) { input, output in
            let status = Batchctl.runRemote(arguments: arguments, catalogue: catalogue, layout: layout, hostKeyPath: hostKey,
                                            topicRules: topics, readInput: { input }, output: output.write,
                                            errorOutput: output.writeError)
            // A user or key it changed counts from the next request on.
            access.refresh()
            return status
        }
    }

    /// Accepts the request only to say why it is refused, on stderr, and
    /// exit 1: a bare channel failure would leave the user guessing.
    private func refuse(_ request: SSHChannelRequest, role: Role, log: Logger, channel: SSHChannel) -> SSHChannelHandler? {
        log.notice("request refused for role", metadata: ["request": "\(request)", "role": "\(role.rawValue)"])
        guard case .exec(let line) = request else { return nil }
        let name = line.split(separator: " ").first.map(String.init) ?? line
        return failure("batchd: '\(name)' is not allowed for a user with role \(role.rawValue)", status: 1, channel: channel)
    }
}
