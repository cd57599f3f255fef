import Testing
import BatchCore

private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

/// Runs `stream` through a parser one byte at a time, accepting every
/// reply, and returns the events with adjacent file data merged plus the
/// replies sent. One byte at a time exercises every split point.
private func runBytewise(_ stream: [UInt8], recursive: Bool = true) throws -> (events: [SCPEvent], replies: [[UInt8]]) {
    var parser = SCPSinkParser(recursive: recursive)
    var events: [SCPEvent] = []
    var replies: [[UInt8]] = [try parser.accept()]
    for byte in stream {
        for event in try parser.feed([byte]) {
            if case .fileData(let more) = event, case .fileData(let data)? = events.last {
                events[events.count - 1] = .fileData(data + more)
            } else {
                events.append(event)
            }
        }
        if parser.isAwaitingReply { replies.append(try parser.accept()) }
    }
    try parser.finish()
    return (events, replies)
}

/// A parser that has already sent its start reply.
private func startedParser(recursive: Bool = false, maxFileSize: UInt64 = SCPSinkParser.defaultMaxFileSize) throws -> SCPSinkParser {
    var parser = SCPSinkParser(recursive: recursive, maxFileSize: maxFileSize)
    #expect(try parser.accept() == [0])
    return parser
}

/// Feeds one header line to a fresh parser and returns the error it throws.
private func headerError(_ line: String, recursive: Bool = true, maxFileSize: UInt64 = SCPSinkParser.defaultMaxFileSize) throws -> SCPError? {
    var parser = try startedParser(recursive: recursive, maxFileSize: maxFileSize)
    do {
        _ = try parser.feed(bytes(line))
        return nil
    } catch {
        return error
    }
}

/// The legacy scp upload: its command line and the sink state machine.
@Suite struct SCPSinkTests {
    // MARK: - Command line

    @Test func plainSinkCommandParses() throws {
        #expect(try SCPCommand.parse("scp -t ops/") == SCPCommand(target: "ops/"))
    }

    @Test func openSSHRecursivePreservingCommandParses() throws {
        // What `scp -O -r -p src host:dest` runs on the server.
        #expect(try SCPCommand.parse("scp -r -p -t dest")
            == SCPCommand(recursive: true, preserveTimes: true, target: "dest"))
    }

    @Test func everyRemoteFlagAndDoubleDashParse() throws {
        #expect(try SCPCommand.parse("scp -v -r -p -d -t -- -odd")
            == SCPCommand(verbose: true, recursive: true, preserveTimes: true, targetIsDirectory: true, target: "-odd"))
    }

    @Test func combinedFlagsParse() throws {
        #expect(try SCPCommand.parse("scp -rpt dest") == SCPCommand(recursive: true, preserveTimes: true, target: "dest"))
    }

    @Test func quotedTargetKeepsItsSpaces() throws {
        #expect(try SCPCommand.parse("scp -t 'ops/my dir'").target == "ops/my dir")
    }

    @Test func sourceModeIsRefused() {
        #expect(throws: SCPError.sourceModeUnsupported) { try SCPCommand.parse("scp -f ops/file") }
        #expect(throws: SCPError.sourceModeUnsupported) { try SCPCommand.parse("scp -r -f ops") }
    }

    @Test func malformedCommandsAreRefused() {
        #expect(throws: SCPError.missingTarget) { try SCPCommand.parse("scp -t") }
        #expect(throws: SCPError.missingTarget) { try SCPCommand.parse("scp -t --") }
        #expect(throws: SCPError.missingSinkFlag) { try SCPCommand.parse("scp dest") }
        #expect(throws: SCPError.ambiguousTarget) { try SCPCommand.parse("scp -t a b") }
        #expect(throws: SCPError.notSCP("sftp")) { try SCPCommand.parse("sftp -t a") }
        #expect(throws: SCPError.notSCP("")) { try SCPCommand.parse("  ") }
        #expect(throws: SCPError.unknownOption("-x")) { try SCPCommand.parse("scp -x -t a") }
        #expect(throws: SCPError.badCommandLine(.unterminatedSingleQuote)) { try SCPCommand.parse("scp -t 'a") }
    }

    // MARK: - Whole sessions

    /// The exact bytes OpenSSH 9's `scp -O -r -p src host:dest` sent for a
    /// folder `src` holding `a.txt` ("hello\n") and `sub/` with `b.bin`
    /// ("xyz") and an empty file, all dated 2024-01-02 03:04:05 UTC.
    private let capturedRecursiveUpload: [UInt8] = {
        let t = "T1704164645 0 1704164645 0\n"
        return bytes(t + "D0755 0 src\n" + t + "D0755 0 sub\n" + t + "C0644 3 b.bin\n") + bytes("xyz") + [0]
            + bytes(t + "C0644 0 empty\n") + [0] + bytes("E\n" + t + "C0644 6 a.txt\n") + bytes("hello\n") + [0]
            + bytes("E\n")
    }()

    @Test func capturedRecursiveUploadDecodes() throws {
        let (events, replies) = try runBytewise(capturedRecursiveUpload)
        let times = SCPEvent.times(mtime: 1_704_164_645, atime: 1_704_164_645)
        #expect(events == [
            times, .enterDirectory(mode: 0o755, name: "src"),
            times, .enterDirectory(mode: 0o755, name: "sub"),
            times, .fileStart(mode: 0o644, size: 3, name: "b.bin"), .fileData(bytes("xyz")), .fileEnd,
            times, .fileStart(mode: 0o644, size: 0, name: "empty"), .fileEnd,
            .exitDirectory,
            times, .fileStart(mode: 0o644, size: 6, name: "a.txt"), .fileData(bytes("hello\n")), .fileEnd,
            .exitDirectory,
        ])
        // One `\0` for the start and one per event that needs a reply.
        #expect(replies.count == 1 + events.filter(\.needsReply).count)
        #expect(replies.allSatisfy { $0 == [0] })
    }

    @Test func lockStepSessionGivesOneDataEventPerChunk() throws {
        var parser = try startedParser()
        #expect(try parser.feed(bytes("C0644 5 a.txt\n")) == [.fileStart(mode: 0o644, size: 5, name: "a.txt")])
        #expect(parser.isAwaitingReply)
        #expect(try parser.accept() == [0])
        #expect(try parser.feed(bytes("hello") + [0]) == [.fileData(bytes("hello")), .fileEnd])
        #expect(try parser.accept() == [0])
        #expect(!parser.isAwaitingReply)
        try parser.finish()
    }

    @Test func largeFileBodyArrivesInChunkSizedEvents() throws {
        var parser = try startedParser()
        let size = 3 * 1_048_576 + 17
        _ = try parser.feed(bytes("C0600 \(size) big.bin\n"))
        _ = try parser.accept()
        let chunk = [UInt8](repeating: 0xA5, count: 1_048_576)
        var received = 0
        var dataEvents = 0
        var sawEnd = false
        for start in stride(from: 0, to: size, by: chunk.count) {
            var piece = Array(chunk.prefix(min(chunk.count, size - start)))
            if start + piece.count == size { piece.append(0) }
            for event in try parser.feed(piece) {
                switch event {
                case .fileData(let data):
                    received += data.count
                    dataEvents += 1
                case .fileEnd:
                    sawEnd = true
                default:
                    Issue.record("unexpected \(event)")
                }
            }
        }
        #expect(received == size)
        #expect(dataEvents == 4)
        #expect(sawEnd)
    }

    @Test func emptyFileSkipsStraightToItsTrailer() throws {
        var parser = try startedParser()
        _ = try parser.feed(bytes("C0644 0 empty\n"))
        _ = try parser.accept()
        #expect(try parser.feed([0]) == [.fileEnd])
    }

    @Test func timesRecordDecodes() throws {
        var parser = try startedParser()
        #expect(try parser.feed(bytes("T1700000000 0 1700000001 0\n")) == [.times(mtime: 1_700_000_000, atime: 1_700_000_001)])
        #expect(parser.isAwaitingReply)
    }

    @Test func modeKeepsAllTwelveBits() throws {
        var parser = try startedParser()
        #expect(try parser.feed(bytes("C4755 1 tool\n")) == [.fileStart(mode: 0o4755, size: 1, name: "tool")])
    }

    @Test func unicodeNamesAreAccepted() throws {
        var parser = try startedParser()
        #expect(try parser.feed(bytes("C0644 1 résumé – 日本.txt\n")) == [.fileStart(mode: 0o644, size: 1, name: "résumé – 日本.txt")])
    }

    @Test func nameOf255BytesIsAccepted() throws {
        var parser = try startedParser()
        let name = String(repeating: "n", count: 255)
        #expect(try parser.feed(bytes("C0644 1 \(name)\n")) == [.fileStart(mode: 0o644, size: 1, name: name)])
    }

    // MARK: - Errors from the client

    @Test func sourceErrorLineNeedsNoReplyAndParsingGoesOn() throws {
        var parser = try startedParser()
        let events = try parser.feed([1] + bytes("scp: secret: Permission denied\nC0644 1 b\n"))
        #expect(events == [
            .sourceError(fatal: false, message: "scp: secret: Permission denied"),
            .fileStart(mode: 0o644, size: 1, name: "b"),
        ])
    }

    @Test func fatalSourceErrorEndsTheSession() throws {
        var parser = try startedParser()
        #expect(try parser.feed([2] + bytes("scp: gone\n")) == [.sourceError(fatal: true, message: "scp: gone")])
        #expect(throws: SCPError.dataAfterFatalError) { try parser.feed(bytes("C0644 1 b\n")) }
    }

    @Test func readErrorAfterDataMeansTheFileFailed() throws {
        var parser = try startedParser()
        _ = try parser.feed(bytes("C0644 3 a\n"))
        _ = try parser.accept()
        let events = try parser.feed([0, 0, 0, 1] + bytes("scp: a: Input/output error\n"))
        #expect(events == [.fileData([0, 0, 0]), .fileFailed(message: "scp: a: Input/output error")])
        // OpenSSH's sink still answers, and the client goes on.
        #expect(try parser.accept() == [0])
        #expect(try parser.feed(bytes("C0644 1 b\n")) == [.fileStart(mode: 0o644, size: 1, name: "b")])
    }

    // MARK: - Server replies

    @Test func newParserWaitsForTheStartReply() throws {
        var parser = SCPSinkParser(recursive: false)
        #expect(parser.isAwaitingReply)
        #expect(throws: SCPError.dataBeforeReply) { try parser.feed(bytes("C0644 1 a\n")) }
    }

    @Test func rejectedFileIsSkippedByTheClient() throws {
        var parser = try startedParser()
        _ = try parser.feed(bytes("C0644 4 secret\n"))
        #expect(try parser.reject("secret: Permission denied") == [1] + bytes("scp: secret: Permission denied\n"))
        // The client sends no data for it: the next record follows.
        #expect(try parser.feed(bytes("C0644 1 b\n")) == [.fileStart(mode: 0o644, size: 1, name: "b")])
    }

    @Test func rejectedDirectoryIsNotEntered() throws {
        var parser = try startedParser(recursive: true)
        _ = try parser.feed(bytes("D0755 0 d\n"))
        _ = try parser.reject("d: refused")
        #expect(parser.openDirectoryCount == 0)
        #expect(throws: SCPError.unmatchedEnd) { try parser.feed(bytes("E\n")) }
    }

    @Test func acceptedDirectoryIsCountedUntilItsEnd() throws {
        var parser = try startedParser(recursive: true)
        _ = try parser.feed(bytes("D0755 0 d\n"))
        _ = try parser.accept()
        #expect(parser.openDirectoryCount == 1)
        #expect(try parser.feed(bytes("E\n")) == [.exitDirectory])
        #expect(parser.openDirectoryCount == 0)
    }

    @Test func rejectedStartEndsTheSession() throws {
        var parser = SCPSinkParser(recursive: false)
        #expect(try parser.reject("ops: no such topic") == [1] + bytes("scp: ops: no such topic\n"))
        #expect(throws: SCPError.dataAfterFatalError) { try parser.feed(bytes("C0644 1 a\n")) }
    }

    @Test func errorLinesStayOnOneLine() {
        #expect(SCPSinkParser.errorLine("bad\nname", fatal: true) == [2] + bytes("scp: bad name\n"))
    }

    @Test func replyWithoutPendingEventIsRefused() throws {
        var parser = try startedParser()
        #expect(throws: SCPError.noReplyPending) { try parser.accept() }
        #expect(throws: SCPError.noReplyPending) { try parser.reject("x") }
    }

    @Test func bytesBeforeTheReplyAreRefused() throws {
        var parser = try startedParser()
        #expect(throws: SCPError.dataBeforeReply) { try parser.feed(bytes("C0644 1 a\nx")) }
    }

    // MARK: - Header validation

    @Test func hugeSizeIsRefusedCleanly() throws {
        #expect(try headerError("C0644 99999999999999 x\n") == .fileTooLarge(size: 99_999_999_999_999, limit: 1 << 40))
    }

    @Test func sizeLimitIsConfigurable() throws {
        #expect(try headerError("C0644 11 x\n", maxFileSize: 10) == .fileTooLarge(size: 11, limit: 10))
        #expect(try headerError("C0644 10 x\n", maxFileSize: 10) == nil)
    }

    @Test func sizeMustBeAtMostNineteenDigits() throws {
        #expect(try headerError("C0644 12345678901234567890 x\n") == .badSize("C0644 12345678901234567890 x"))
        #expect(try headerError("C0644 0000000000000000001 x\n") == nil)
    }

    @Test(arguments: ["C0644  x\n", "C0644 -1 x\n", "C0644 1a x\n", "C0644 1\n", "C0644 +1 x\n"])
    func malformedSizeIsRefused(_ line: String) throws {
        guard case .badSize? = try headerError(line) else {
            Issue.record("\(line) was not refused as a bad size")
            return
        }
    }

    @Test(arguments: ["C644 1 x\n", "C0844 1 x\n", "C00644 1 x\n", "Cabcd 1 x\n", "C0644\n", "D075 0 d\n", "C-644 1 x\n"])
    func malformedModeIsRefused(_ line: String) throws {
        guard case .badMode? = try headerError(line) else {
            Issue.record("\(line) was not refused as a bad mode")
            return
        }
    }

    @Test(arguments: [
        ("C0644 1 \n", "the name is empty"),
        ("C0644 1 .\n", "'.' and '..' are not file names"),
        ("C0644 1 ..\n", "'.' and '..' are not file names"),
        ("D0755 0 ..\n", "'.' and '..' are not file names"),
        ("C0644 1 a/b\n", "the name contains '/'"),
        ("C0644 1 ../x\n", "the name contains '/'"),
        ("C0644 1 a\u{0}b\n", "the name contains a NUL byte"),
        ("C0644 1 \(String(repeating: "n", count: 256))\n", "the name is longer than 255 bytes"),
    ])
    func unsafeNamesAreRefused(_ line: String, _ reason: String) throws {
        guard case .badName(_, let why)? = try headerError(line) else {
            Issue.record("\(line) was not refused as a bad name")
            return
        }
        #expect(why == reason)
    }

    @Test func invalidUTF8NameIsRefused() throws {
        var parser = try startedParser()
        #expect(throws: SCPError.badName("a\u{FFFD}", reason: "the name is not valid UTF-8")) {
            try parser.feed(bytes("C0644 1 a") + [0xFF, 0x0A])
        }
    }

    @Test func directoryWithoutRecursiveIsRefused() throws {
        #expect(try headerError("D0755 0 d\n", recursive: false) == .directoryWithoutRecursive)
    }

    @Test func endWithoutDirectoryIsRefused() throws {
        #expect(try headerError("E\n") == .unmatchedEnd)
        #expect(try headerError("Ex\n") == .badEnd("Ex"))
    }

    @Test(arguments: [
        "T1 0 2\n", "T1 0 2 0 x\n", "Tx 0 2 0\n", "T1 1000000 2 0\n", "T1  0 2 0\n", "T\n",
        "T99999999999999999999 0 1 0\n", "T9223372036854775808 0 1 0\n", "T1 0 2 0 \n",
    ])
    func malformedTimesAreRefused(_ line: String) throws {
        guard case .badTimes? = try headerError(line) else {
            Issue.record("\(line) was not refused as bad times")
            return
        }
    }

    @Test func largestTimestampIsAccepted() throws {
        var parser = try startedParser()
        #expect(try parser.feed(bytes("T9223372036854775807 0 0 0\n")) == [.times(mtime: .max, atime: 0)])
    }

    @Test func emptyAndUnknownLinesAreRefused() throws {
        #expect(try headerError("\n") == .emptyLine)
        #expect(try headerError("No match.\n") == .unknownRecord("No match."))
        #expect(try headerError("X\u{7}y\n") == .unknownRecord("X?y"))
    }

    @Test func overlongLineIsRefusedBeforeItsNewline() throws {
        var parser = try startedParser()
        _ = try parser.feed(bytes("C0644 1 ") + [UInt8](repeating: 0x61, count: 4000))
        #expect(throws: SCPError.lineTooLong(4160)) { try parser.feed([UInt8](repeating: 0x61, count: 200)) }
        // The parser stays failed.
        #expect(throws: SCPError.lineTooLong(4160)) { try parser.feed(bytes("\n")) }
    }

    @Test func lineOfExactlyTheLimitIsReadWhole() throws {
        // 4160 bytes reach the name check, which refuses the long name: the
        // line itself was accepted.
        let line = "C0644 1 " + String(repeating: "a", count: SCPSinkParser.maxLineLength - 8)
        guard case .badName? = try headerError(line + "\n") else {
            Issue.record("line at the limit was not read")
            return
        }
    }

    @Test func badTrailerByteIsRefused() throws {
        var parser = try startedParser()
        _ = try parser.feed(bytes("C0644 1 a\n"))
        _ = try parser.accept()
        #expect(throws: SCPError.badFileTrailer(0x78)) { try parser.feed(bytes("zx")) }
    }

    // MARK: - End of stream

    @Test func streamEndingInsideAFileIsIncomplete() throws {
        var parser = try startedParser()
        _ = try parser.feed(bytes("C0644 5 a\n"))
        _ = try parser.accept()
        _ = try parser.feed(bytes("he"))
        #expect(throws: SCPError.truncated) { try parser.finish() }
    }

    @Test func streamEndingBeforeTheTrailerIsIncomplete() throws {
        var parser = try startedParser()
        _ = try parser.feed(bytes("C0644 2 a\n"))
        _ = try parser.accept()
        _ = try parser.feed(bytes("hi"))
        #expect(throws: SCPError.truncated) { try parser.finish() }
    }

    @Test func streamEndingInsideAHeaderIsIncomplete() throws {
        var parser = try startedParser()
        _ = try parser.feed(bytes("C0644 2"))
        #expect(throws: SCPError.truncated) { try parser.finish() }
    }

    @Test func streamEndingBetweenRecordsIsClean() throws {
        let parser = try startedParser()
        try parser.finish()
    }

    @Test func errorDescriptionsAreSentences() {
        #expect(SCPError.sourceModeUnsupported.description.contains("only accepts uploads"))
        #expect(SCPError.fileTooLarge(size: 5, limit: 4).description == "file of 5 bytes is larger than the 4-byte limit")
        #expect(SCPError.directoryWithoutRecursive.description.contains("without -r"))
    }
}
