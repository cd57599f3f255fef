/// The syntax shared by batchd.conf(5) and batchd-recv.conf(5), which
/// follows sshd_config(5): one `Keyword value` (or `Keyword=value`) per
/// line, keywords case-insensitive, `#` starting a comment line or, at the
/// start of a word, the rest of a line; a value with leading or trailing
/// spaces or such a `#` may be put in double quotes.
public enum ConfigFile {
    /// Splits `text` into keyword lines, skipping blank and comment lines.
    /// Throws for a line without a value or with a broken quote. Keywords
    /// are not checked here: see ``validate(_:known:)``.
    public static func parse(text: String, fileName: String) throws(ConfigError) -> [ConfigLine] {
        var lines: [ConfigLine] = []
        for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let lineNumber = index + 1
            let scalars = Array(raw.unicodeScalars)
            var position = 0
            skipSpace(scalars, &position)
            guard position < scalars.count, scalars[position] != "#" else { continue }

            let keywordStart = position
            while position < scalars.count, !isSpace(scalars[position]), scalars[position] != "=" { position += 1 }
            let keyword = string(scalars[keywordStart ..< position])
            skipSpace(scalars, &position)
            if position < scalars.count, scalars[position] == "=" {
                position += 1
                skipSpace(scalars, &position)
            }
            let problemLine = ConfigLine(keyword: keyword, value: "", lineNumber: lineNumber, fileName: fileName)
            let value: String
            do {
                value = try readValue(Array(scalars[position...]), keyword: keyword)
            } catch {
                throw problemLine.error(error)
            }
            guard !value.isEmpty else { throw problemLine.error(.missingValue(keyword)) }
            lines.append(ConfigLine(keyword: keyword, value: value, lineNumber: lineNumber, fileName: fileName))
        }
        return lines
    }

    /// Every line whose keyword is not in `known` (compared lowercased), in
    /// file order, so `batchd -t` can report them all.
    public static func unknownKeywords(in lines: [ConfigLine], known: Set<String>) -> [ConfigError] {
        let knownKeys = Set(known.map { $0.lowercased() })
        return lines.filter { !knownKeys.contains($0.key) }.map { $0.error(.unknownKeyword($0.keyword)) }
    }

    /// Throws the first line whose keyword is not in `known`.
    public static func validate(_ lines: [ConfigLine], known: Set<String>) throws(ConfigError) {
        if let first = unknownKeywords(in: lines, known: known).first { throw first }
    }

    /// The value after the keyword: up to a comment, trimmed; a value that
    /// starts with `"` runs to the closing quote, which must end the value.
    private static func readValue(_ rest: [Unicode.Scalar], keyword: String) throws(ConfigProblem) -> String {
        guard rest.first == "\"" else {
            var end = 0
            while end < rest.count, !(rest[end] == "#" && (end == 0 || isSpace(rest[end - 1]))) { end += 1 }
            while end > 0, isSpace(rest[end - 1]) { end -= 1 }
            return string(rest[0 ..< end])
        }
        guard let close = rest[1...].firstIndex(of: "\"") else { throw .badQuoting(keyword) }
        var after = close + 1
        skipSpace(rest, &after)
        guard after == rest.count || rest[after] == "#" else { throw .badQuoting(keyword) }
        return string(rest[1 ..< close])
    }

    private static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t" || scalar == "\r"
    }

    private static func skipSpace(_ scalars: [Unicode.Scalar], _ position: inout Int) {
        while position < scalars.count, isSpace(scalars[position]) { position += 1 }
    }

    private static func string(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        String(String.UnicodeScalarView(scalars))
    }
}
