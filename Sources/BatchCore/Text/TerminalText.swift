/// Text a client sent, made safe to show on a terminal or write to a log:
/// every control character a terminal acts on is written out as an escape
/// (`\e`, `\x1b`-style for the rest of C0 and DEL, `\u{9b}`-style for C1
/// controls such as CSI U+009B, and for the bidirectional overrides and
/// isolates that reorder what a reader sees), and a backslash is doubled so
/// an escape cannot be forged. Printable text, other languages included,
/// passes unchanged.
public enum TerminalText {
    /// `text` with every terminal control written out.
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar) else {
                out.append(scalar)
                continue
            }
            out.append(contentsOf: escape(scalar).unicodeScalars)
        }
        return String(out)
    }

    /// Whether `scalar` is a control a terminal (or a reader) acts on.
    public static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00..<0x20, 0x7F, 0x80..<0xA0: return true
        case 0x5C: return true
        case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    private static func escape(_ scalar: Unicode.Scalar) -> String {
        let value = scalar.value
        switch value {
        case 0x5C: return "\\\\"
        case 0x09: return "\\t"
        case 0x0A: return "\\n"
        case 0x0D: return "\\r"
        case 0x1B: return "\\e"
        case 0x00..<0x20, 0x7F:
            let hex = String(value, radix: 16)
            return "\\x" + (hex.count < 2 ? "0" + hex : hex)
        default:
            return "\\u{" + String(value, radix: 16) + "}"
        }
    }
}
