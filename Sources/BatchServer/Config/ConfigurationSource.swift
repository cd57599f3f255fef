import BatchCore
import Foundation
import Logging

/// Where batchd's settings come from: the config file, when there is one,
/// with the command line's `--listen` and `--state` over it. Read at start,
/// checked by `batchd -t`, and read again on each reload (SIGHUP).
public struct ConfigurationSource: Sendable {
    /// The batchd.conf(5) file; nil runs on the embedded defaults.
    public var path: String?
    /// `--listen HOST:PORT`, over the file's ListenAddress.
    public var listen: String?
    /// `--state DIR`, over the file's StateDirectory.
    public var state: String?

    public init(path: String?, listen: String?, state: String?) {
        self.path = path
        self.listen = listen
        self.state = state
    }

    /// Every problem in the file, each naming its file, line and keyword;
    /// none without a file. Throws when the file cannot be read.
    public func problems() throws -> [ConfigError] {
        guard let path else { return [] }
        return ServerConfiguration.problems(in: try text(of: path), fileName: path)
    }

    /// The settings: the file over the defaults, the options over both.
    public func load() throws -> ServerConfiguration {
        var settings = ServerConfiguration()
        if let path { settings = try ServerConfiguration.parse(text: try text(of: path), fileName: path) }
        return try overridden(settings)
    }

    /// The settings read again for a reload, or nil when there is no file
    /// or it cannot be used: each reason is logged, and the running
    /// settings stay in force.
    public func reread(logger: Logger) -> ServerConfiguration? {
        guard let path else {
            logger.notice("reload asked, but batchd runs without --config; nothing to read")
            return nil
        }
        do {
            // Read once: what is checked is what is applied.
            let text = try text(of: path)
            let problems = ServerConfiguration.problems(in: text, fileName: path)
            guard problems.isEmpty else {
                for problem in problems { logger.error("reload refused", metadata: ["problem": "\(problem)"]) }
                return nil
            }
            return try overridden(ServerConfiguration.parse(text: text, fileName: path))
        } catch let error as ConfigurationError {
            logger.error("reload refused", metadata: ["config": "\(path)", "problem": "\(error)"])
        } catch {
            logger.error("reload refused", metadata: ["problem": "\(error)"])
        }
        return nil
    }

    private func overridden(_ settings: ServerConfiguration) throws -> ServerConfiguration {
        var settings = settings
        if let listen { try settings.setListen(listen) }
        if let state { settings.stateDirectory = state }
        return settings
    }

    private func text(of path: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError.unreadable(path: path, reason: error.localizedDescription)
        }
    }
}
