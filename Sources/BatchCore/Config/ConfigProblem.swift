/// What is wrong with a configuration line or value, without saying where;
/// ``ConfigError`` adds the file and line. Value parsers throw it directly,
/// so command-line options can reuse them (`--listen` takes the same
/// HOST:PORT as `Listen`).
public enum ConfigProblem: Error, Sendable, Hashable, CustomStringConvertible {
    /// The keyword is not one the program knows.
    case unknownKeyword(String)
    /// The keyword has no value after it.
    case missingValue(String)
    /// A double quote in the value is not closed, or text follows it.
    case badQuoting(String)
    /// The value does not parse; `expected` says what would.
    case invalidValue(String, expected: String)
    /// The keyword is known but not allowed inside a `Match` block; the
    /// list names those that are.
    case notInMatchBlock(String, allowed: [String])

    public var description: String {
        switch self {
        case .unknownKeyword(let keyword):
            return "unknown keyword '\(keyword)'"
        case .missingValue(let keyword):
            return "'\(keyword)' needs a value"
        case .badQuoting(let keyword):
            return "the value of '\(keyword)' has a double quote that is not closed at the end of the line"
        case .invalidValue(let value, let expected):
            return "bad value '\(value)': expected \(expected)"
        case .notInMatchBlock(let keyword, let allowed):
            return "'\(keyword)' cannot be set inside a Match block; only \(allowed.joined(separator: ", ")) can"
        }
    }
}
