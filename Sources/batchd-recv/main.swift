import ArgumentParser
import BatchCore
import BatchReceiver
import Dispatch
import Foundation
import Logging
import ProcessLifecycle

/// `batchd-recv --server HOST:PORT --user NAME --identity KEY --inbox DIR …`
struct BatchdRecv: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batchd-recv",
        abstract: "Subscribe to a batchd server and receive the batches offered to this target.",
        discussion: "See batchd-recv(1) and batchd-recv.conf(5).")

    @Option(help: "Read settings from this batchd-recv.conf(5) file; options given here override it.")
    var config: String?
    @Option(help: "The batchd server, HOST:PORT.")
    var server: String?
    @Option(help: "This target's user name on the server.")
    var user: String?
    @Option(help: "Private key file (OpenSSH format) of that user.")
    var identity: String?
    @Option(help: "Folder where delivered batches land.")
    var inbox: String?
    @Option(name: .customLong("known-hosts"), help: "known_hosts file pinning the server's host key (default INBOX/.batchd-recv/known_hosts).")
    var knownHosts: String?
    @Flag(name: .customLong("accept-new-host-key"), help: "Trust and record an unknown server host key on first use; a changed key is always refused.")
    var acceptNewHostKey = false
    @Option(help: "How to answer offers.")
    var accept: AcceptPolicy?
    @Flag(help: "Also extract each delivered archive safely into INBOX/<id>-<name>/.")
    var extract = false
    @Flag(help: "Exit after the first offer resolves: 0 when delivered or declined.")
    var once = false
    @Option(help: "Serve pieces to peer targets on HOST:PORT (the server vouches for each peer).")
    var listen: String?

    func run() throws {
        var settings = ReceiverConfiguration()
        if let config { settings = try ReceiverConfiguration.load(path: config) }
        if let server {
            do {
                settings.server = try HostPort(parsing: server)
            } catch {
                throw ValidationError("--server: \(error)")
            }
        }
        if let user { settings.user = user }
        if let identity { settings.identity = identity }
        if let inbox { settings.inbox = inbox }
        if let knownHosts { settings.knownHosts = knownHosts }
        if acceptNewHostKey { settings.acceptNewHostKey = true }
        if let accept { settings.accept = accept }
        if extract { settings.extract = true }
        if once { settings.once = true }
        if let listen {
            do {
                settings.listen = try HostPort(parsing: listen)
            } catch {
                throw ValidationError("--listen: \(error)")
            }
        }
        for (value, option) in [(settings.user, "--user"), (settings.identity, "--identity"), (settings.inbox, "--inbox")]
        where value.isEmpty {
            throw ValidationError("\(option) is required (or set it in the config file)")
        }
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = Logger(label: "batchd-recv")
        let receiver = try Receiver(configuration: settings, logger: logger)
        let process = SignalledProcess(work: { receiver.run() }, stop: { receiver.stop() })
        throw ExitCode(process.run(logger: logger))
    }
}

BatchdRecv.main()
