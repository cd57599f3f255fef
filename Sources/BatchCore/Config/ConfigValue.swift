/// Parsers for the value types configuration keywords take. Each throws
/// ``ConfigProblem/invalidValue(_:expected:)`` naming what would be valid.
public enum ConfigValue {
    /// `yes` or `no`, in any case, as sshd_config(5) flags.
    public static func parseBool(_ value: String) throws(ConfigProblem) -> Bool {
        switch value.lowercased() {
        case "yes": return true
        case "no": return false
        default: throw .invalidValue(value, expected: "yes or no")
        }
    }

    /// A decimal whole number within `range`.
    public static func parseInt(_ value: String, in range: ClosedRange<Int>) throws(ConfigProblem) -> Int {
        let unsigned = value.hasPrefix("-") ? value.dropFirst() : Substring(value)
        guard isDigits(unsigned), let number = Int(value), range.contains(number) else {
            throw .invalidValue(value, expected: "a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// A size in bytes: digits with an optional `K`, `M`, `G` or `T`
    /// suffix (powers of 1024, either case), as sshd's `RekeyLimit`.
    public static func parseByteSize(_ value: String) throws(ConfigProblem) -> Int {
        let expected = "a size in bytes such as 65536, 512K, 4M or 1G"
        var digits = Substring(value)
        var multiplier = 1
        if let last = value.last, let power = ["K": 1, "M": 2, "G": 3, "T": 4][last.uppercased()] {
            multiplier = 1 << (10 * power)
            digits = digits.dropLast()
        }
        guard isDigits(digits), let number = Int(digits) else { throw .invalidValue(value, expected: expected) }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { throw .invalidValue(value, expected: expected) }
        return bytes
    }

    /// A duration in seconds: plain seconds, or numbers with `s`, `m`, `h`,
    /// `d` or `w` units that add up (`90`, `30s`, `5m`, `1h30m`), as sshd's
    /// time format in sshd_config(5).
    /// A duration in milliseconds: `250ms`, or seconds and larger units as
    /// `parseDuration` reads them.
    public static func parseMilliseconds(_ value: String) throws(ConfigProblem) -> Int {
        let lowered = value.lowercased()
        if lowered.hasSuffix("ms") {
            guard let amount = Int(lowered.dropLast(2)), amount >= 0 else {
                throw .invalidValue(value, expected: "a duration such as 500ms, 2s or 1m")
            }
            return amount
        }
        let (milliseconds, overflow) = try parseDuration(value).multipliedReportingOverflow(by: 1000)
        guard !overflow else { throw .invalidValue(value, expected: "a duration such as 500ms, 2s or 1m") }
        return milliseconds
    }

    public static func parseDuration(_ value: String) throws(ConfigProblem) -> Int {
        let expected = "a duration such as 30, 30s, 5m, 2h or 1h30m"
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604_800]
        guard !value.isEmpty else { throw .invalidValue(value, expected: expected) }
        var total = 0
        var number = ""
        for character in value.lowercased() {
            if character.isASCII, character.isNumber {
                number.append(character)
                continue
            }
            guard let unit = units[character], let amount = Int(number) else { throw .invalidValue(value, expected: expected) }
            let (seconds, overflowA) = amount.multipliedReportingOverflow(by: unit)
            let (sum, overflowB) = total.addingReportingOverflow(seconds)
            guard !overflowA, !overflowB else { throw .invalidValue(value, expected: expected) }
            total = sum
            number = ""
        }
        if !number.isEmpty {
            guard let seconds = Int(number) else { throw .invalidValue(value, expected: expected) }
            let (sum, overflow) = total.addingReportingOverflow(seconds)
            guard !overflow else { throw .invalidValue(value, expected: expected) }
            total = sum
        }
        return total
    }

    private static func isDigits(_ text: some StringProtocol) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}
