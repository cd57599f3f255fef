import Testing
import BatchCore

private func parse(_ text: String) throws -> [ConfigLine] {
    try ConfigFile.parse(text: text, fileName: "batchd.conf")
}

/// The sshd_config-style configuration syntax and its value types.
@Suite struct ConfigFileTests {
    // MARK: - Syntax

    @Test func keywordValueLinesParseWithTheirLineNumbers() throws {
        let lines = try parse("# batchd\n\nListen 127.0.0.1:2222\n  StateDirectory   /var/lib/batchd  \n")
        #expect(lines == [
            ConfigLine(keyword: "Listen", value: "127.0.0.1:2222", lineNumber: 3, fileName: "batchd.conf"),
            ConfigLine(keyword: "StateDirectory", value: "/var/lib/batchd", lineNumber: 4, fileName: "batchd.conf"),
        ])
    }

    @Test func keywordsMatchCaseInsensitivelyButKeepTheirSpelling() throws {
        let line = try #require(try parse("lIsTeN *:22").first)
        #expect(line.keyword == "lIsTeN")
        #expect(line.key == "listen")
    }

    @Test func equalsSignMaySeparateKeywordAndValue() throws {
        #expect(try parse("Listen=*:22").first?.value == "*:22")
        #expect(try parse("Listen = *:22").first?.value == "*:22")
        #expect(try parse("Listen\t=\t*:22").first?.keyword == "Listen")
    }

    @Test func valueKeepsInnerSpaces() throws {
        #expect(try parse("Banner Welcome to the drop").first?.value == "Welcome to the drop")
    }

    @Test func doubleQuotesAreRemovedAndProtectHashes() throws {
        #expect(try parse("Banner \"  spaced # not a comment \"").first?.value == "  spaced # not a comment ")
        #expect(try parse("Banner \"x\"   # trailing comment").first?.value == "x")
    }

    @Test func trailingCommentAfterWhitespaceIsDropped() throws {
        #expect(try parse("MaxSessions 10   # per user").first?.value == "10")
        #expect(try parse("Tag a#b").first?.value == "a#b")
    }

    @Test func windowsLineEndingsAreAccepted() throws {
        let lines = try parse("A 1\r\nB 2\r\n")
        #expect(lines.map(\.value) == ["1", "2"])
        #expect(lines.map(\.lineNumber) == [1, 2])
    }

    @Test func missingValueIsReportedWithItsLine() {
        #expect(throws: ConfigError(file: "batchd.conf", line: 2, keyword: "Listen", problem: .missingValue("Listen"))) {
            try parse("# x\nListen\n")
        }
        #expect(throws: ConfigError(file: "batchd.conf", line: 1, keyword: "Listen", problem: .missingValue("Listen"))) {
            try parse("Listen   # nothing")
        }
    }

    @Test func brokenQuotesAreReported() {
        #expect(throws: ConfigError(file: "batchd.conf", line: 1, keyword: "Banner", problem: .badQuoting("Banner"))) {
            try parse("Banner \"open")
        }
        #expect(throws: ConfigError(file: "batchd.conf", line: 1, keyword: "Banner", problem: .badQuoting("Banner"))) {
            try parse("Banner \"a\" b")
        }
    }

    // MARK: - Keywords

    @Test func unknownKeywordReadsWithFileAndLine() throws {
        let lines = try parse("Listen *:22\n\n\n\n\n\nListn *:23\n")
        let error = #expect(throws: ConfigError.self) { try ConfigFile.validate(lines, known: ["Listen"]) }
        #expect(error?.description == "batchd.conf line 7: unknown keyword 'Listn'")
        #expect(error?.keyword == "Listn")
        #expect(error?.line == 7)
    }

    @Test func everyUnknownKeywordIsListed() throws {
        let lines = try parse("Foo 1\nlisten *:22\nBar 2\n")
        let errors = ConfigFile.unknownKeywords(in: lines, known: ["Listen"])
        #expect(errors.map(\.line) == [1, 3])
        #expect(errors.map(\.keyword) == ["Foo", "Bar"])
    }

    @Test func knownKeywordsPassValidation() throws {
        try ConfigFile.validate(try parse("LISTEN *:22\nmaxsessions 4"), known: ["Listen", "MaxSessions"])
    }

    // MARK: - Values

    @Test func boolAcceptsYesAndNoOnly() throws {
        #expect(try ConfigValue.parseBool("yes"))
        #expect(try !ConfigValue.parseBool("No"))
        #expect(throws: ConfigProblem.invalidValue("true", expected: "yes or no")) { try ConfigValue.parseBool("true") }
    }

    @Test func integerMustBeInRange() throws {
        #expect(try ConfigValue.parseInt("10", in: 1 ... 100) == 10)
        #expect(try ConfigValue.parseInt("-5", in: -10 ... 0) == -5)
        #expect(throws: ConfigProblem.invalidValue("0", expected: "a whole number from 1 to 100")) { try ConfigValue.parseInt("0", in: 1 ... 100) }
        #expect(throws: ConfigProblem.self) { try ConfigValue.parseInt("+5", in: 1 ... 100) }
        #expect(throws: ConfigProblem.self) { try ConfigValue.parseInt("1e3", in: 1 ... 10000) }
        #expect(throws: ConfigProblem.self) { try ConfigValue.parseInt("99999999999999999999", in: 1 ... 10) }
    }

    @Test func byteSizesUseBinaryUnits() throws {
        #expect(try ConfigValue.parseByteSize("65536") == 65536)
        #expect(try ConfigValue.parseByteSize("512K") == 512 * 1024)
        #expect(try ConfigValue.parseByteSize("4M") == 4 * 1_048_576)
        #expect(try ConfigValue.parseByteSize("1g") == 1 << 30)
        #expect(try ConfigValue.parseByteSize("2T") == 2 << 40)
        #expect(try ConfigValue.parseByteSize("0") == 0)
    }

    @Test(arguments: ["", "M", "4MB", "-1K", "1.5G", "4 M", "99999999999T"])
    func malformedByteSizesAreRefused(_ value: String) {
        #expect(throws: ConfigProblem.invalidValue(value, expected: "a size in bytes such as 65536, 512K, 4M or 1G")) {
            try ConfigValue.parseByteSize(value)
        }
    }

    @Test func durationsAddUpTheirUnits() throws {
        #expect(try ConfigValue.parseDuration("90") == 90)
        #expect(try ConfigValue.parseDuration("30s") == 30)
        #expect(try ConfigValue.parseDuration("5m") == 300)
        #expect(try ConfigValue.parseDuration("2H") == 7200)
        #expect(try ConfigValue.parseDuration("1h30m") == 5400)
        #expect(try ConfigValue.parseDuration("1d") == 86400)
        #expect(try ConfigValue.parseDuration("1w2d") == 8 * 86400 + 86400)
        #expect(try ConfigValue.parseDuration("1m30") == 90)
    }

    @Test(arguments: ["", "s", "5x", "-5", "1.5h", "5 m", "m5", "9999999999999999999w"])
    func malformedDurationsAreRefused(_ value: String) {
        #expect(throws: ConfigProblem.self) { try ConfigValue.parseDuration(value) }
    }

    @Test func hostPortFormsParse() throws {
        #expect(try HostPort(parsing: "127.0.0.1:2222") == HostPort(host: "127.0.0.1", port: 2222))
        #expect(try HostPort(parsing: "[::1]:2222") == HostPort(host: "::1", port: 2222))
        #expect(try HostPort(parsing: "[fe80::1:2]:22") == HostPort(host: "fe80::1:2", port: 22))
        #expect(try HostPort(parsing: "*:2222").isWildcard)
        #expect(try HostPort(parsing: "drop.example-1.org:65535") == HostPort(host: "drop.example-1.org", port: 65535))
        #expect(try HostPort(parsing: "localhost:0").port == 0)
    }

    @Test func loopbackHostsAreRecognisedAndOthersAreNot() throws {
        for value in ["127.0.0.1:9100", "127.1.2.3:1", "[::1]:9100", "[0:0:0:0:0:0:0:1]:9100", "localhost:9100", "LocalHost:0"] {
            #expect(try HostPort(parsing: value).isLoopback, "\(value)")
        }
        for value in ["0.0.0.0:9100", "*:9100", "10.0.0.1:9100", "128.0.0.1:1", "[::]:9100", "[::2]:9100",
                      "[::ffff:127.0.0.1]:9100", "drop.example:9100", "localhost.example:1"] {
            #expect(try !HostPort(parsing: value).isLoopback, "\(value)")
        }
    }

    @Test func hostPortWritesBackAsParsed() throws {
        for text in ["127.0.0.1:2222", "[::1]:2222", "*:22", "host:1"] {
            #expect(try HostPort(parsing: text).description == text)
        }
    }

    @Test(arguments: [
        "127.0.0.1", "127.0.0.1:", ":2222", "::1:2222", "[::1]", "[::1]2222", "[::1:2222", "[]:22", "[1.2.3.4]:22",
        "host:65536", "host:-1", "host:+22", "host:22x", "ho st:22", "host:123456", "[::g]:22", "a/b:22",
    ])
    func malformedHostPortsAreRefused(_ value: String) {
        #expect(throws: ConfigProblem.self) { try HostPort(parsing: value) }
    }

    @Test func lineValueParsersReportFileLineAndKeyword() throws {
        let lines = try parse("MaxSessions many\nListen 127.0.0.1:22\nCompress maybe\nPieceSize 4M\nLoginGraceTime 30s\n")
        let error = #expect(throws: ConfigError.self) { try lines[0].integer(in: 1 ... 100) }
        #expect(error?.description == "batchd.conf line 1: bad value 'many' for 'MaxSessions': expected a whole number from 1 to 100")
        #expect(try lines[1].hostPort() == HostPort(host: "127.0.0.1", port: 22))
        #expect(throws: ConfigError(file: "batchd.conf", line: 3, keyword: "Compress", problem: .invalidValue("maybe", expected: "yes or no"))) {
            try lines[2].bool()
        }
        #expect(try lines[3].byteSize() == 4 << 20)
        #expect(try lines[4].duration() == 30)
    }

    @Test func problemsDescribeThemselvesWithoutAPlace() {
        #expect(ConfigProblem.invalidValue("x", expected: "yes or no").description == "bad value 'x': expected yes or no")
        #expect(ConfigProblem.missingValue("Listen").description == "'Listen' needs a value")
    }
}
