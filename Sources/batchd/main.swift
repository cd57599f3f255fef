import ArgumentParser
import BatchServer
import Dispatch
import Foundation
import Logging

/// `batchd [--config FILE] [--listen HOST:PORT] [--state DIR]`
struct Batchd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batchd",
        abstract: "The batchd drop server: SSH on libssh, one process.",
        discussion: "With no config file it listens on 127.0.0.1:2222 with state in ./var/batchd. See batchd(8).")

    @Option(name: .long, help: "Read settings from this batchd.conf(5) file.")
    var config: String?

    @Option(name: .long, help: "Listen on HOST:PORT instead of the configured address.")
    var listen: String?

    @Option(name: .long, help: "Keep the catalogue, staging area and archives in DIR.")
    var state: String?

    @Flag(name: .customShort("t"), help: "Check the config file and exit: 0 when valid, 1 listing every error.")
    var test = false

    @Flag(name: .customShort("T"), help: "Check the config file, print the effective settings and exit.")
    var printEffective = false

    func run() throws {
        if test || printEffective, let config {
            let text: String
            do {
                text = try String(contentsOfFile: config, encoding: .utf8)
            } catch {
                throw ConfigurationError.unreadable(path: config, reason: error.localizedDescription)
            }
            let problems = ServerConfiguration.problems(in: text, fileName: config)
            for problem in problems {
                FileHandle.standardError.write(Data("batchd: \(problem)\n".utf8))
            }
            if !problems.isEmpty { throw ExitCode(1) }
        }
        var settings = ServerConfiguration()
        if let config {
            settings = try ServerConfiguration.load(path: config)
        }
        if let listen {
            try settings.setListen(listen)
        }
        if let state {
            settings.stateDirectory = state
        }
        if printEffective {
            print(settings.effectiveLines.joined(separator: "\n"))
            return
        }
        if test { return }
        let level = SharedLogLevel(settings.logLevel)
        let format = settings.logFormat
        LoggingSystem.bootstrap { label in ReloadableLevelHandler(label: label, level: level, format: format) }
        let logger = Logger(label: "batchd")
        let server = try DropServer(configuration: settings, logger: logger)
        try server.start()
        waitForTermination(logger: logger) { reload(server, level: level, logger: logger) }
        logger.notice("stopping")
        server.stop()
        logger.notice("stopped")
    }

    /// SIGHUP: reads the config file again and applies it without dropping
    /// a connection. A file with errors changes nothing; each error is logged.
    private func reload(_ server: DropServer, level: SharedLogLevel, logger: Logger) {
        guard let config else {
            logger.notice("reload asked, but batchd runs without --config; nothing to read")
            return
        }
        let text: String
        do {
            text = try String(contentsOfFile: config, encoding: .utf8)
        } catch {
            logger.error("reload refused: cannot read the config file", metadata: ["config": "\(config)", "error": "\(error.localizedDescription)"])
            return
        }
        let problems = ServerConfiguration.problems(in: text, fileName: config)
        guard problems.isEmpty else {
            for problem in problems { logger.error("reload refused", metadata: ["problem": "\(problem)"]) }
            return
        }
        do {
            var settings = try ServerConfiguration.parse(text: text, fileName: config)
            if let listen { try settings.setListen(listen) }
            if let state { settings.stateDirectory = state }
            level.value = settings.logLevel
            server.reload(settings)
        } catch {
            logger.error("reload refused", metadata: ["problem": "\(error)"])
        }
    }

    /// Blocks until SIGTERM or SIGINT; runs `onHangUp` for each SIGHUP.
    private func waitForTermination(logger: Logger, onHangUp: @escaping @Sendable () -> Void) {
        let stop = DispatchSemaphore(value: 0)
        var sources: [DispatchSourceSignal] = []
        signal(SIGHUP, SIG_IGN)
        let hangUp = DispatchSource.makeSignalSource(signal: SIGHUP, queue: DispatchQueue(label: "batchd.reload"))
        hangUp.setEventHandler {
            logger.notice("signal received", metadata: ["signal": "\(SIGHUP)"])
            onHangUp()
        }
        hangUp.resume()
        sources.append(hangUp)
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                logger.notice("signal received", metadata: ["signal": "\(number)"])
                stop.signal()
            }
            source.resume()
            sources.append(source)
        }
        stop.wait()
        sources.forEach { $0.cancel() }
    }
}

Batchd.main()
