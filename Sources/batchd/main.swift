import ArgumentParser
import BatchServer
import Dispatch
import Foundation
import Logging
import ProcessLifecycle

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
        let source = ConfigurationSource(path: config, listen: listen, state: state)
        if test || printEffective {
            let problems = try source.problems()
            for problem in problems {
                FileHandle.standardError.write(Data("batchd: \(problem)\n".utf8))
            }
            if !problems.isEmpty { throw ExitCode(1) }
        }
        let settings = try source.load()
        if printEffective {
            print(settings.effectiveLines.joined(separator: "\n"))
            return
        }
        if test { return }
        let level = SharedLogLevel(settings.logLevel)
        let format = settings.logFormat
        LoggingSystem.bootstrap { label in ReloadableLevelHandler(label: label, level: level, format: format) }
        let logger = Logger(label: "batchd")
        SignalledProcess.ignoreHangUpUntilRunning()
        let server = try DropServer(configuration: settings, logger: logger)
        try server.start()
        let stopped = DispatchSemaphore(value: 0)
        let process = SignalledProcess(work: {
            stopped.wait()
            logger.notice("stopping")
            server.stop()
            logger.notice("stopped")
            return 0
        }, stop: {
            stopped.signal()
        }, reload: {
            guard let settings = source.reread(logger: logger) else { return }
            level.value = settings.logLevel
            server.reload(settings)
        })
        throw ExitCode(process.run(logger: logger))
    }
}

Batchd.main()
