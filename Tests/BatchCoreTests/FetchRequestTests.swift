import Testing
@testable import BatchCore

private func parse(_ words: [String]) throws(ProtocolError) -> FetchRequest {
    try FetchRequest.parse(arguments: words)
}

/// The `fetch ID FIRST LAST` exec request, parsed strictly.
@Suite struct FetchRequestTests {
    @Test func wellFormedRequestParses() throws {
        let request = try parse(["fetch", "42", "0", "9"])
        #expect(request == FetchRequest(batch: 42, first: 0, last: 9))
        #expect(request.commandLine == "fetch 42 0 9")
    }

    @Test func singlePieceAndLargestIndexAreAllowed() throws {
        #expect(try parse(["fetch", "1", "5", "5"]) == FetchRequest(batch: 1, first: 5, last: 5))
        #expect(try parse(["fetch", "1", "0", "2147483647"]).last == 2_147_483_647)
    }

    @Test func piecesAsksForHashesWithinItsBound() throws {
        let request = try parse(["pieces", "42", "0", "65535"])
        #expect(request == FetchRequest(batch: 42, first: 0, last: 65535, content: .hashes))
        #expect(request.commandLine == "pieces 42 0 65535")
        #expect(throws: ProtocolError.badField(type: "pieces", field: "last", reason: "asks for more than 65536 hashes at once")) {
            try parse(["pieces", "42", "0", "65536"])
        }
        #expect(throws: ProtocolError.badField(type: "pieces", field: "first", reason: "'x' is not a decimal number")) {
            try parse(["pieces", "42", "x", "1"])
        }
        // A fetch of bytes has no such bound: its bytes are streamed.
        #expect(try parse(["fetch", "42", "0", "65536"]).content == .bytes)
    }

    @Test func commandLineSplitsBackToTheSameRequest() throws {
        let request = FetchRequest(batch: 9_000_000_000, first: 3, last: 70)
        #expect(try parse(ExecCommandLine.split(request.commandLine)) == request)
    }

    @Test func negativeNumbersAreRefused() {
        #expect(throws: ProtocolError.badField(type: "fetch", field: "first", reason: "'-1' is not a decimal number")) {
            try parse(["fetch", "42", "-1", "9"])
        }
        #expect(throws: ProtocolError.badField(type: "fetch", field: "batch", reason: "'-42' is not a decimal number")) {
            try parse(["fetch", "-42", "0", "9"])
        }
    }

    @Test func firstAfterLastIsRefused() {
        #expect(throws: ProtocolError.badField(type: "fetch", field: "last", reason: "3 is before first piece 9")) {
            try parse(["fetch", "42", "9", "3"])
        }
    }

    @Test func nonDecimalWordsAreRefused() {
        for word in ["x", "", "+1", "0x10", "1e3", " 1", "1.0", "٣", "１"] {
            #expect(throws: ProtocolError.self, "\(word)") { try parse(["fetch", "42", word, "9"]) }
        }
    }

    @Test func batchZeroIsRefused() {
        #expect(throws: ProtocolError.badField(type: "fetch", field: "batch", reason: "must be at least 1")) {
            try parse(["fetch", "0", "0", "0"])
        }
    }

    @Test func wrongWordCountsAreRefused() {
        #expect(throws: ProtocolError.badCommand("fetch takes 3 arguments, not 4")) {
            try parse(["fetch", "42", "0", "9", "10"])
        }
        #expect(throws: ProtocolError.badCommand("fetch takes 3 arguments, not 2")) { try parse(["fetch", "42", "0"]) }
        #expect(throws: ProtocolError.badCommand("the command is not fetch or pieces")) { try parse([]) }
        #expect(throws: ProtocolError.badCommand("the command is not fetch or pieces")) { try parse(["subscribe", "1", "2", "3"]) }
    }

    @Test func hugeNumbersAreRefused() {
        #expect(throws: ProtocolError.badField(type: "fetch", field: "last", reason: "'2147483648' is too large")) {
            try parse(["fetch", "42", "0", "2147483648"])
        }
        #expect(throws: ProtocolError.badField(type: "fetch", field: "batch", reason: "'99999999999999999999' is too large")) {
            try parse(["fetch", "99999999999999999999", "0", "1"])
        }
        #expect(throws: ProtocolError.self) { try parse(["fetch", "1", String(repeating: "9", count: 10_000), "1"]) }
    }

    @Test func refusalReadsAsASentence() {
        #expect(ProtocolError.badCommand("fetch takes 3 arguments, not 2").description
            == "bad fetch request: fetch takes 3 arguments, not 2; the command is: fetch ID FIRST LAST")
    }
}
