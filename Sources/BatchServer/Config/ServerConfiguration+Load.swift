import BatchCore
import Foundation
import Logging
import SSHKit

extension ServerConfiguration {
    /// The batchd.conf(5) keywords, spelled as the page spells them.
    public static let keywords: Set<String> = Set([
        "ListenAddress", "StateDirectory", "HostKey", "LoginGraceTime", "MaxAuthTries", "MaxStartups",
        "PerSourceMaxStartups", "PerSourcePenalties", "MaxSessionsPerUser", "MaxChannelsPerSession",
        "MaxOpenFilesPerUser", "MaxOpenBatchesPerUser", "MaxPreSealHooksPerUser",
        "IdleTimeout", "EventLoops", "PieceSize", "CompressionLevel", "MaxFileSize", "LogLevel", "LogFormat", "Strategy",
        "MetricsListen", "Match",
    ] + Algorithms.Kind.allCases.map(\.rawValue) + TopicPolicy.keywords)

    /// Reads a batchd.conf(5) file over the embedded defaults. Every error
    /// names the file, the line and the keyword.
    public static func load(path: String) throws -> ServerConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError.unreadable(path: path, reason: error.localizedDescription)
        }
        return try parse(text: text, fileName: path)
    }

    /// Parses config text over the embedded defaults.
    public static func parse(text: String, fileName: String) throws(ConfigError) -> ServerConfiguration {
        try read(ConfigFile.parse(text: text, fileName: fileName)) { error throws(ConfigError) in throw error }
    }

    /// Every problem in config text, not only the first: `batchd -t`
    /// reports them all, each naming its file, line and keyword.
    public static func problems(in text: String, fileName: String) -> [ConfigError] {
        var problems: [ConfigError] = []
        do {
            _ = try read(ConfigFile.parse(text: text, fileName: fileName)) { problems.append($0) }
        } catch {
            return [error]
        }
        return problems
    }

    /// Applies `lines` in order over the defaults, handing each bad line
    /// to `report`, which throws to stop at the first or returns to go on.
    /// A `Match Topic` line starts a block that topic keywords only may
    /// fill; `Match All` ends it, as in sshd_config(5).
    private static func read(
        _ lines: [ConfigLine], report: (ConfigError) throws(ConfigError) -> Void
    ) throws(ConfigError) -> ServerConfiguration {
        var settings = ServerConfiguration()
        var block: Int?
        for line in lines {
            do throws(ConfigError) {
                if line.key == "match" {
                    block = nil
                    if let match = try topicMatch(line) {
                        settings.topics.matches.append(match)
                        block = settings.topics.matches.count - 1
                    }
                } else if let change = try TopicPolicy.change(for: line) {
                    if let block {
                        settings.topics.matches[block].changes.append(change)
                    } else {
                        settings.topics.defaults.apply(change)
                    }
                } else if block != nil, keywords.contains(where: { $0.lowercased() == line.key }) {
                    throw line.error(.notInMatchBlock(line.keyword, allowed: TopicPolicy.keywords))
                } else {
                    try settings.apply(line)
                }
            } catch {
                try report(error)
            }
        }
        return settings
    }

    /// `Match Topic PATTERN[,PATTERN…]`, or nil for `Match All`.
    private static func topicMatch(_ line: ConfigLine) throws(ConfigError) -> TopicMatch? {
        let words = line.value.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        if words.count == 1, words[0].lowercased() == "all" { return nil }
        let expected = "Topic followed by topic names or patterns (ops, ops-*, !ops-test), or All"
        guard words.count >= 2, words[0].lowercased() == "topic" else {
            throw line.error(.invalidValue(line.value, expected: expected))
        }
        let patterns = words.dropFirst().joined(separator: ",").split(separator: ",").map(String.init)
        guard !patterns.isEmpty, patterns.allSatisfy({ $0 != "!" }) else {
            throw line.error(.invalidValue(line.value, expected: expected))
        }
        return TopicMatch(patterns: patterns)
    }

    /// The effective settings as `Keyword value` lines, as `sshd -T`
    /// prints them: every keyword, defaults included.
    public var effectiveLines: [String] {
        [
            "listenaddress \(HostPort(host: listenAddress, port: listenPort))",
            "statedirectory \(stateDirectory)",
            "hostkey \(hostKey)",
        ] + (rsaHostKey.map { ["hostkey \($0)"] } ?? []) + Algorithms.Kind.allCases.map { kind in
            "\(kind.rawValue.lowercased()) \(offered(kind).joined(separator: ","))"
        } + [
            "logingracetime \(Int(loginGraceTime))",
            "maxauthtries \(maxAuthTries)",
            "maxstartups \(maxStartups)",
            "persourcemaxstartups \(perSourceMaxStartups.map(String.init) ?? "none")",
            "persourcepenalties \(perSourcePenalties.map(\.description) ?? "no")",
            "idletimeout \(Int(idleTimeout))",
            "maxsessionsperuser \(maxSessionsPerUser)",
            "maxchannelspersession \(maxChannelsPerSession)",
            "maxopenfilesperuser \(maxOpenFilesPerUser)",
            "maxopenbatchesperuser \(maxOpenBatchesPerUser)",
            "maxpresealhooksperuser \(maxPreSealHooksPerUser)",
            "eventloops \(eventLoops)",
            "piecesize \(pieceSize)",
            "compressionlevel \(compressionLevel)",
            "maxfilesize \(maxFileSize)",
            "loglevel \(logLevel.rawValue)",
            "logformat \(logFormat.rawValue)",
            "strategy \(strategy.rawValue)",
            "metricslisten \(metricsListen?.description ?? "none")",
        ] + topics.defaults.effectiveLines + topics.matches.flatMap { match in
            ["match topic \(match.patterns.joined(separator: ","))"] + match.changes.map { "    " + $0.effectiveLine }
        }
    }

    private mutating func apply(_ line: ConfigLine) throws(ConfigError) {
        switch line.key {
        case "listenaddress":
            let address = try line.hostPort()
            listenAddress = address.isWildcard ? "0.0.0.0" : address.host
            listenPort = address.port
        case "statedirectory":
            stateDirectory = line.value
        case "hostkey":
            hostKey = line.value
        case "kexalgorithms", "ciphers", "macs", "hostkeyalgorithms":
            let kind = Algorithms.Kind.allCases.first { $0.rawValue.lowercased() == line.key }!
            algorithms[kind] = try line.algorithms(defaults: kind.defaults, supported: kind.supported)
        case "logingracetime":
            loginGraceTime = Double(try line.duration())
        case "maxauthtries":
            maxAuthTries = try line.integer(in: 1...100)
        case "maxstartups":
            maxStartups = try line.integer(in: 1...100_000)
        case "persourcemaxstartups":
            perSourceMaxStartups = line.value.lowercased() == "none" ? nil : try line.integer(in: 1...100_000)
        case "persourcepenalties":
            perSourcePenalties = try ServerConfiguration.penalties(line)
        case "idletimeout":
            idleTimeout = Double(try line.duration())
        case "maxsessionsperuser":
            maxSessionsPerUser = try line.integer(in: 1...100_000)
        case "maxchannelspersession":
            maxChannelsPerSession = try line.integer(in: 1...1000)
        case "maxopenfilesperuser":
            maxOpenFilesPerUser = try line.integer(in: 1...100_000)
        case "maxopenbatchesperuser":
            maxOpenBatchesPerUser = try line.integer(in: 1...100_000)
        case "maxpresealhooksperuser":
            maxPreSealHooksPerUser = try line.integer(in: 1...1000)
        case "eventloops":
            eventLoops = try line.integer(in: 1...64)
        case "piecesize":
            let size = try line.byteSize()
            guard (64 << 10 ... 256 << 20).contains(size) else {
                throw line.error(.invalidValue(line.value, expected: "a size between 64K and 256M"))
            }
            pieceSize = size
        case "compressionlevel":
            compressionLevel = Int32(try line.integer(in: 0...9))
        case "maxfilesize":
            let size = try line.byteSize()
            guard size > 0 else { throw line.error(.invalidValue(line.value, expected: "a size above 0")) }
            maxFileSize = UInt64(size)
        case "loglevel":
            guard let level = Logger.Level(rawValue: line.value.lowercased()) else {
                throw line.error(.invalidValue(line.value, expected: "one of critical, error, warning, notice, info, debug, trace"))
            }
            logLevel = level
        case "logformat":
            guard let format = LogFormat(rawValue: line.value.lowercased()) else {
                throw line.error(.invalidValue(line.value, expected: "text or json"))
            }
            logFormat = format
        case "strategy":
            guard let strategy = RelayStrategy(rawValue: line.value.lowercased()) else {
                throw line.error(.invalidValue(line.value, expected: "throughput or latency"))
            }
            self.strategy = strategy
        case "metricslisten":
            metricsListen = try ServerConfiguration.metricsAddress(line)
        default:
            throw line.error(.unknownKeyword(line.keyword))
        }
    }

    /// `yes`, `no`, or `authfail:5 noauth:1 grace-exceeded:20 min:15 max:600`
    /// (any of them, each over the standard value).
    private static func penalties(_ line: ConfigLine) throws(ConfigError) -> PenaltyPolicy? {
        switch line.value.lowercased() {
        case "yes": return .standard
        case "no": return nil
        default: break
        }
        var policy = PenaltyPolicy.standard
        let expected = "yes, no, or NAME:SECONDS items (authfail, noauth, grace-exceeded, min, max)"
        for item in line.value.split(separator: " ", omittingEmptySubsequences: true) {
            let parts = item.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, let seconds = Double(parts[1]), seconds >= 0, seconds <= 86_400 else {
                throw line.error(.invalidValue(String(item), expected: expected))
            }
            switch parts[0].lowercased() {
            case "authfail": policy.authFailure = seconds
            case "noauth": policy.noAuth = seconds
            case "grace-exceeded": policy.graceExceeded = seconds
            case "min": policy.minimum = seconds
            case "max": policy.maximum = seconds
            default: throw line.error(.invalidValue(String(item), expected: expected))
            }
        }
        guard policy.minimum <= policy.maximum else {
            throw line.error(.invalidValue(line.value, expected: "min no greater than max"))
        }
        return policy
    }

    /// Applies `--listen HOST:PORT`.
    public mutating func setListen(_ value: String) throws {
        do {
            let address = try HostPort(parsing: value)
            listenAddress = address.isWildcard ? "0.0.0.0" : address.host
            listenPort = address.port
        } catch {
            throw ConfigurationError.badOption(option: "--listen", reason: error.description)
        }
    }
}

/// A config file or option that batchd cannot use.
public enum ConfigurationError: Error, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case badOption(option: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read config file \(path): \(reason)"
        case .badOption(let option, let reason):
            return "\(option): \(reason)"
        }
    }
}
