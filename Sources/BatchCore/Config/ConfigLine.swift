/// One `Keyword value` line of a configuration file, with where it came
/// from so every value error can point at it.
public struct ConfigLine: Sendable, Hashable {
    /// The keyword as written (`ListenAddress`).
    public let keyword: String
    /// The value: the rest of the line, trimmed, outer double quotes removed.
    public let value: String
    /// The 1-based line number.
    public let lineNumber: Int
    /// The file the line came from.
    public let fileName: String

    /// Creates a line.
    public init(keyword: String, value: String, lineNumber: Int, fileName: String) {
        self.keyword = keyword
        self.value = value
        self.lineNumber = lineNumber
        self.fileName = fileName
    }

    /// The keyword lowercased: keywords match case-insensitively, as in
    /// sshd_config(5).
    public var key: String { keyword.lowercased() }

    /// An error about this line.
    public func error(_ problem: ConfigProblem) -> ConfigError {
        ConfigError(file: fileName, line: lineNumber, keyword: keyword, problem: problem)
    }

    /// The value as `yes` or `no`.
    public func bool() throws(ConfigError) -> Bool {
        try located { () throws(ConfigProblem) in try ConfigValue.parseBool(value) }
    }

    /// The value as a whole number within `range`.
    public func integer(in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        try located { () throws(ConfigProblem) in try ConfigValue.parseInt(value, in: range) }
    }

    /// The value as a byte count (`512K`, `4M`, `1G`, or plain bytes).
    public func byteSize() throws(ConfigError) -> Int {
        try located { () throws(ConfigProblem) in try ConfigValue.parseByteSize(value) }
    }

    /// The value as a duration in seconds (`30`, `30s`, `5m`, `1h30m`).
    public func duration() throws(ConfigError) -> Int {
        try located { () throws(ConfigProblem) in try ConfigValue.parseDuration(value) }
    }

    /// The value as a duration in milliseconds: `500ms`, or any duration
    /// `duration()` takes.
    public func milliseconds() throws(ConfigError) -> Int {
        try located { () throws(ConfigProblem) in try ConfigValue.parseMilliseconds(value) }
    }

    /// The value as an algorithm list over `defaults` (see `AlgorithmList`).
    public func algorithms(defaults: [String], supported: [String]) throws(ConfigError) -> [String] {
        try located { () throws(ConfigProblem) in try AlgorithmList.resolve(value, defaults: defaults, supported: supported) }
    }

    /// The value as a listen or connect address (`127.0.0.1:2222`).
    public func hostPort() throws(ConfigError) -> HostPort {
        try located { () throws(ConfigProblem) in try HostPort(parsing: value) }
    }

    private func located<T>(_ parse: () throws(ConfigProblem) -> T) throws(ConfigError) -> T {
        do {
            return try parse()
        } catch {
            throw self.error(error)
        }
    }
}
