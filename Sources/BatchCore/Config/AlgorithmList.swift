/// An algorithm list as sshd_config(5) writes it: a plain comma-separated
/// list replaces the defaults; `+list` appends to them, `-list` removes
/// from them (wildcards `*` and `?` allowed), `^list` puts at their head.
/// Every name must be one the server supports.
public enum AlgorithmList {
    /// The list `value` asks for, given the defaults and what is supported.
    public static func resolve(_ value: String, defaults: [String], supported: [String]) throws(ConfigProblem) -> [String] {
        var text = Substring(value.trimmingWhitespace())
        let operation = text.first.flatMap { "+-^".contains($0) ? $0 : nil }
        if operation != nil { text = text.dropFirst() }
        let names = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let expected = "a comma-separated list of: \(supported.joined(separator: ","))"
        guard !names.isEmpty, names.allSatisfy({ !$0.isEmpty }) else { throw .invalidValue(value, expected: expected) }
        if operation == "-" {
            for pattern in names where !supported.contains(where: { matches($0, pattern) }) {
                throw .invalidValue(pattern, expected: expected)
            }
            let kept = defaults.filter { name in !names.contains { matches(name, $0) } }
            guard !kept.isEmpty else { throw .invalidValue(value, expected: "a list that leaves at least one algorithm") }
            return kept
        }
        for name in names where !supported.contains(name) {
            throw .invalidValue(name, expected: expected)
        }
        var unique: [String] = []
        for name in names where !unique.contains(name) { unique.append(name) }
        switch operation {
        case "+": return defaults + unique.filter { !defaults.contains($0) }
        case "^": return unique + defaults.filter { !unique.contains($0) }
        default: return unique
        }
    }

    /// Whether `name` matches `pattern`, where `*` is any run of characters
    /// and `?` any one, as ssh's match_pattern does.
    static func matches(_ name: String, _ pattern: String) -> Bool {
        matches(Array(name.utf8)[...], Array(pattern.utf8)[...])
    }

    private static func matches(_ name: ArraySlice<UInt8>, _ pattern: ArraySlice<UInt8>) -> Bool {
        guard let first = pattern.first else { return name.isEmpty }
        if first == UInt8(ascii: "*") {
            var rest = name
            while true {
                if matches(rest, pattern.dropFirst()) { return true }
                guard !rest.isEmpty else { return false }
                rest = rest.dropFirst()
            }
        }
        guard let head = name.first, first == UInt8(ascii: "?") || first == head else { return false }
        return matches(name.dropFirst(), pattern.dropFirst())
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars = scalars.dropFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
