/// Why an exec request's command line could not be split into words.
public enum CommandLineError: Error, Sendable, Equatable, CustomStringConvertible {
    case unterminatedSingleQuote
    case unterminatedDoubleQuote
    case trailingBackslash

    public var description: String {
        switch self {
        case .unterminatedSingleQuote:
            return "the command has a single quote (') that is never closed"
        case .unterminatedDoubleQuote:
            return "the command has a double quote (\") that is never closed"
        case .trailingBackslash:
            return "the command ends with a backslash that escapes nothing"
        }
    }
}
