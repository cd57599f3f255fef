/// Splits the command string of an SSH exec request into words, as a POSIX
/// shell would before running it (scp and ssh clients quote paths for the
/// remote shell, and users type `ssh host 'watch 42'`).
///
/// Only quoting is interpreted: single quotes keep everything literal;
/// double quotes keep everything except `\\`, `\"`, `\$`, `` \` `` and
/// backslash-newline; an unquoted backslash escapes the next character.
/// Nothing is expanded and no operator is special: `$HOME`, `*`, `;` and `|`
/// are ordinary characters, because no shell ever runs the command.
public enum ExecCommandLine {
    /// The words of `commandLine`; spaces, tabs and newlines separate them.
    public static func split(_ commandLine: String) throws(CommandLineError) -> [String] {
        var words: [String] = []
        var word: [Unicode.Scalar] = []
        var inWord = false
        var scalars = commandLine.unicodeScalars.makeIterator()

        func endWord() {
            if inWord { words.append(String(String.UnicodeScalarView(word))) }
            word.removeAll()
            inWord = false
        }

        while let scalar = scalars.next() {
            switch scalar {
            case " ", "\t", "\n":
                endWord()
            case "'":
                inWord = true
                while true {
                    guard let next = scalars.next() else { throw .unterminatedSingleQuote }
                    if next == "'" { break }
                    word.append(next)
                }
            case "\"":
                inWord = true
                quoted: while true {
                    guard let next = scalars.next() else { throw .unterminatedDoubleQuote }
                    switch next {
                    case "\"":
                        break quoted
                    case "\\":
                        guard let escaped = scalars.next() else { throw .unterminatedDoubleQuote }
                        switch escaped {
                        case "\\", "\"", "$", "`": word.append(escaped)
                        case "\n": break
                        default: word.append(contentsOf: ["\\", escaped])
                        }
                    default:
                        word.append(next)
                    }
                }
            case "\\":
                guard let escaped = scalars.next() else { throw .trailingBackslash }
                // Backslash-newline joins lines, as in the shell.
                if escaped != "\n" {
                    inWord = true
                    word.append(escaped)
                }
            default:
                inWord = true
                word.append(scalar)
            }
        }
        endWord()
        return words
    }
}
