/// One record of a pax extended header: `"<length> <key>=<value>\n"`, where
/// `<length>` is the decimal byte count of the whole record, itself included
/// (POSIX.1-2001, pax "extended header" format).
public struct PaxRecord: Sendable, Equatable {
    /// The keyword, such as `path`, `size` or `mtime`.
    public var key: String
    /// The value, stored as UTF-8 bytes.
    public var value: String

    /// Creates a record for `key` and `value`.
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }

    /// The record's bytes, length prefix and trailing newline included.
    public func encode() -> [UInt8] {
        let payload = Array(key.utf8) + [UInt8(ascii: "=")] + Array(value.utf8) + [UInt8(ascii: "\n")]
        let length = PaxRecord.length(payloadCount: payload.count)
        return Array(String(length).utf8) + [UInt8(ascii: " ")] + payload
    }

    /// The self-inclusive record length for a payload (`key=value\n`) of
    /// `payloadCount` bytes. The length's own digits count towards it, so a
    /// payload that brings the total to 10, 100, … needs one digit more:
    /// 8 payload bytes make a 10-byte record only if "10" were 1 digit, so the
    /// answer is 11.
    public static func length(payloadCount: Int) -> Int {
        // The separator space is part of the record as well.
        let base = payloadCount + 1
        var length = base + decimalDigits(base)
        while base + decimalDigits(length) != length {
            length = base + decimalDigits(length)
        }
        return length
    }

    private static func decimalDigits(_ value: Int) -> Int {
        var digits = 1
        var rest = value / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        return digits
    }
}
