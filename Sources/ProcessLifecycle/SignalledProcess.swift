import Dispatch
import Foundation
import Locking
import Logging
import ServiceLifecycle
import UnixSignals

/// The life of a long-running process, batchd's or batchd-recv's, under
/// swift-service-lifecycle: its work runs on a thread of its own until it
/// returns; SIGTERM or SIGINT shuts it down gracefully (`stop`, after which
/// the work returns); SIGHUP asks it to read its settings again (`reload`).
/// The process exits with the status the work returned.
public struct SignalledProcess: Sendable {
    /// Runs until it is done or `stop` ends it; returns the exit status.
    public var work: @Sendable () -> Int32
    /// Makes `work` return soon; called once, on the first SIGTERM or SIGINT.
    public var stop: @Sendable () -> Void
    /// Called for each SIGHUP; nil leaves SIGHUP to end the process.
    public var reload: (@Sendable () -> Void)?

    public init(work: @escaping @Sendable () -> Int32, stop: @escaping @Sendable () -> Void,
                reload: (@Sendable () -> Void)? = nil) {
        self.work = work
        self.stop = stop
        self.reload = reload
    }

    /// Ignores SIGHUP until `run` handles it, so that one sent while the
    /// process starts does not end it. Call before anything is started.
    public static func ignoreHangUpUntilRunning() {
        signal(SIGHUP, SIG_IGN)
    }

    /// Runs the work under a service group and waits for it: the calling
    /// thread blocks until the work returned. Returns its status.
    public func run(logger: Logger) -> Int32 {
        if reload != nil { SignalledProcess.ignoreHangUpUntilRunning() }
        let service = WorkService(process: self, logger: logger)
        let finished = DispatchSemaphore(value: 0)
        Task {
            // The work ending by itself (batchd-recv --once) ends the group
            // as a shutdown would, not as a failure.
            let configuration = ServiceGroupConfiguration(
                services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup, serviceName: "main")],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            let group = ServiceGroup(configuration: configuration)
            do {
                try await group.run()
            } catch {
                logger.error("the service group ended with an error", metadata: ["error": "\(error)"])
                service.fail()
            }
            finished.signal()
        }
        finished.wait()
        return service.status
    }
}

/// The work of a `SignalledProcess` as a `Service`: its blocking work on a
/// thread, graceful shutdown mapped to `stop`, SIGHUP to `reload`.
private final class WorkService: Service, Sendable {
    private let process: SignalledProcess
    private let logger: Logger
    private let result = Locked<Int32>(0)

    init(process: SignalledProcess, logger: Logger) {
        self.process = process
        self.logger = logger
    }

    var status: Int32 { result.withLock { $0 } }

    func fail() {
        result.withLock { $0 = 1 }
    }

    func run() async throws {
        let reloads = Task { [process, logger] in
            guard let reload = process.reload else { return }
            for await _ in await UnixSignalsSequence(trapping: .sighup) {
                logger.notice("signal received", metadata: ["signal": "SIGHUP"])
                reload()
            }
        }
        defer { reloads.cancel() }
        let (work, stop, logger) = (process.work, process.stop, self.logger)
        let status = await withGracefulShutdownHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
                let thread = Thread { continuation.resume(returning: work()) }
                thread.name = "main-work"
                thread.start()
            }
        } onGracefulShutdown: {
            logger.notice("signal received: shutting down")
            stop()
        }
        result.withLock { $0 = status }
    }
}
