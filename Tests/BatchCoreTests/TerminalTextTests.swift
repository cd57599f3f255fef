import BatchCore
import Testing

struct TerminalTextTests {
    @Test func printableTextPassesUnchanged() {
        for text in ["report.pdf", "résumé 日本語 ü", "a b  c", ""] {
            #expect(TerminalText.escaped(text) == text)
        }
    }

    @Test func c0ControlsAndDelAreWrittenOut() {
        #expect(TerminalText.escaped("a\u{1B}[2Jb") == "a\\e[2Jb")
        #expect(TerminalText.escaped("a\nb\rc\td") == "a\\nb\\rc\\td")
        #expect(TerminalText.escaped("\u{07}\u{7F}\u{00}") == "\\x07\\x7f\\x00")
    }

    @Test func c1ControlsAndBidiOverridesAreWrittenOut() {
        #expect(TerminalText.escaped("x\u{9B}2J") == "x\\u{9b}2J")
        #expect(TerminalText.escaped("\u{202E}gpj.exe") == "\\u{202e}gpj.exe")
        #expect(TerminalText.escaped("\u{2066}") == "\\u{2066}")
    }

    @Test func aBackslashIsDoubledSoNoEscapeCanBeForged() {
        #expect(TerminalText.escaped("\\e[2J") == "\\\\e[2J")
        #expect(TerminalText.escaped("\\e[2J\u{1B}") == "\\\\e[2J\\e")
    }

    @Test func nothingAnEscapedTextHoldsIsAControl() {
        let hostile = (0..<0xA0).compactMap(Unicode.Scalar.init).map(String.init).joined() + "\u{202A}\u{2069}"
        let shown = TerminalText.escaped(hostile)
        #expect(!shown.unicodeScalars.contains { $0 != "\\" && TerminalText.needsEscape($0) })
    }
}
