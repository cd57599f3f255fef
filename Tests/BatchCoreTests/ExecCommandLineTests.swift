import Testing
import BatchCore

/// Splitting exec request commands into words as a POSIX shell would.
@Suite struct ExecCommandLineTests {
    @Test func wordsAreSeparatedByWhitespace() throws {
        #expect(try ExecCommandLine.split("scp -r -t ops/") == ["scp", "-r", "-t", "ops/"])
        #expect(try ExecCommandLine.split("  watch\t42 \n") == ["watch", "42"])
    }

    @Test func emptyCommandHasNoWords() throws {
        #expect(try ExecCommandLine.split("").isEmpty)
        #expect(try ExecCommandLine.split(" \t\n ").isEmpty)
    }

    @Test func singleQuotesKeepEverythingLiteral() throws {
        #expect(try ExecCommandLine.split("scp -t 'my dir/$HOME \\n \"x\"'") == ["scp", "-t", "my dir/$HOME \\n \"x\""])
    }

    @Test func doubleQuotesHonourTheirFourEscapes() throws {
        #expect(try ExecCommandLine.split(#"echo "a \"b\" \\ \$x \`y\`""#) == ["echo", #"a "b" \ $x `y`"#])
    }

    @Test func otherBackslashesInDoubleQuotesStay() throws {
        #expect(try ExecCommandLine.split(#""a\nb\'c""#) == [#"a\nb\'c"#])
    }

    @Test func backslashNewlineInDoubleQuotesJoinsLines() throws {
        #expect(try ExecCommandLine.split("\"a\\\nb\"") == ["ab"])
    }

    @Test func unquotedBackslashEscapesTheNextCharacter() throws {
        #expect(try ExecCommandLine.split(#"scp -t my\ dir\'s\\x"#) == ["scp", "-t", #"my dir's\x"#])
    }

    @Test func unquotedBackslashNewlineContinuesTheLine() throws {
        #expect(try ExecCommandLine.split("watch \\\n42") == ["watch", "42"])
        #expect(try ExecCommandLine.split("wat\\\nch") == ["watch"])
    }

    @Test func adjacentQuotedPartsFormOneWord() throws {
        #expect(try ExecCommandLine.split(#"a'b c'"d e"f g"#) == ["ab cd ef", "g"])
    }

    @Test func emptyQuotesMakeAnEmptyWord() throws {
        #expect(try ExecCommandLine.split("scp -t ''") == ["scp", "-t", ""])
        #expect(try ExecCommandLine.split(#"a "" b"#) == ["a", "", "b"])
    }

    @Test func shellOperatorsAndExpansionsAreOrdinaryCharacters() throws {
        #expect(try ExecCommandLine.split("batches; rm -rf * $(id) `id` | x > y") ==
            ["batches;", "rm", "-rf", "*", "$(id)", "`id`", "|", "x", ">", "y"])
    }

    @Test func unicodeWordsSurvive() throws {
        #expect(try ExecCommandLine.split("scp -t 'ops/résumé 日本'") == ["scp", "-t", "ops/résumé 日本"])
    }

    @Test func unterminatedQuotesAreRefused() {
        #expect(throws: CommandLineError.unterminatedSingleQuote) { try ExecCommandLine.split("scp -t 'ops") }
        #expect(throws: CommandLineError.unterminatedDoubleQuote) { try ExecCommandLine.split("scp -t \"ops") }
        #expect(throws: CommandLineError.unterminatedDoubleQuote) { try ExecCommandLine.split("\"ops\\") }
    }

    @Test func trailingBackslashIsRefused() {
        #expect(throws: CommandLineError.trailingBackslash) { try ExecCommandLine.split("scp -t ops\\") }
    }

    @Test func errorsDescribeTheProblem() {
        #expect(CommandLineError.unterminatedSingleQuote.description.contains("never closed"))
        #expect(CommandLineError.trailingBackslash.description.contains("backslash"))
    }
}
