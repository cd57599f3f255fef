/// A configuration problem with its place: the file, line and keyword.
/// Reads as `batchd.conf line 7: unknown keyword 'Listn'`.
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file name as the user gave it.
    public var file: String
    /// The 1-based line number.
    public var line: Int
    /// The keyword as written on that line.
    public var keyword: String
    public var problem: ConfigProblem

    /// Creates an error.
    public init(file: String, line: Int, keyword: String, problem: ConfigProblem) {
        self.file = file
        self.line = line
        self.keyword = keyword
        self.problem = problem
    }

    public var description: String {
        switch problem {
        case .invalidValue(let value, let expected):
            return "\(file) line \(line): bad value '\(value)' for '\(keyword)': expected \(expected)"
        case .unknownKeyword, .missingValue, .badQuoting, .notInMatchBlock:
            return "\(file) line \(line): \(problem)"
        }
    }
}
