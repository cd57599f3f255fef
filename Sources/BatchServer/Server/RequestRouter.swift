import BatchCore
import BatchStore
import Foundation
import Logging
import SSHKit

/// What a request on a logged-in session becomes: the session's key and
/// role are checked again (against the in-memory directory), then the
/// subsystem or exec command is given its handler, or refused with a
/// sentence the user can act on. Runs on the session's loop and reads
/// nothing but memory.
final class RequestRouter: Sendable {
    private let context: IngestContext
    private let access: AccessView
    private let faults = FaultInjection()
    private let logger: Logger
    /// The settings in force, for what a remote `batchctl` reads.
    private let configuration: @Sendable () -> ServerConfiguration

    init(context: IngestContext, access: AccessView, logger: Logger,
         configuration: @escaping @Sendable () -> ServerConfiguration) {
        self.context = context
        self.access = access
        self.logger = logger
        self.configuration = configuration
    }

    func handler(for request: SSHChannelRequest, session: SSHSessionInfo, channel: SSHChannel) -> SSHChannelHandler? {
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
        case "fetch", "pieces":
            guard role == .target else { return refuse(.exec(line), role: role, log: log, channel: channel) }
            do {
                let request = try FetchRequest.parse(arguments: words)
                return FetchChannelHandler(request: request, user: session.user, channel: channel,
                                           notifier: context.notifier, faults: faults, logger: log)
            } catch {
                return usage("\(words[0]): \(error)", channel: channel)
            }
        case "watch":
            guard role == .source || role == .admin else { return refuse(.exec(line), role: role, log: log, channel: channel) }
            return watch(Array(words.dropFirst()), role: role, user: session.user, channel: channel)
        case "batchctl":
            guard role == .admin else { return refuse(.exec(line), role: role, log: log, channel: channel) }
            return adminCommand(Array(words.dropFirst()), channel: channel)
        default:
            let name = words.first ?? ""
            return failure("batchd: unknown command '\(name)'; this server runs: scp, seal, batches, watch, subscribe, fetch, pieces, batchctl (admins)",
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
        let settings = configuration()
        let hostKey = settings.hostKey
        let topics = settings.topics
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
