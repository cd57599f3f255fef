import Foundation
import Testing
@testable import BatchCore

private let archiveHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
private let pieceHash = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
private let carolHostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJzmts5oErpmC1sE1+kTyl4+PYA2wgNLwiFIo3vwjcMN"
private let daveUserKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIL9wyhgW13AOIEa+jcY8YAqhgiPYHh22GGEVzCmMFfXZ"

/// A frame as the wire carries it: 4-byte big-endian length, then the text.
private func frame(_ json: String) -> [UInt8] {
    let payload = Array(json.utf8)
    let n = UInt32(payload.count)
    return [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + payload
}

private func decode(_ json: String) throws(ProtocolError) -> SubscriptionMessage {
    try SubscriptionMessage.decode(payload: Array(json.utf8))
}

/// Expects decoding `json` to throw exactly `expected`.
private func expectRefused(_ json: String, _ expected: ProtocolError, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(throws: expected, sourceLocation: sourceLocation) { try decode(json) }
}

/// An offer's JSON with one member replaced or removed, for field checks.
private func offerJSON(replacing field: String? = nil, with value: String? = nil) -> String {
    var members: [(String, String)] = [
        ("batch", "42"), ("destination", "\"ops\""), ("files", "[{\"path\":\"a.txt\",\"size\":3}]"),
        ("name", "\"ops\""), ("piece_size", "65536"), ("pieces", "[\"\(pieceHash)\"]"),
        ("sha256", "\"\(archiveHash)\""), ("size", "123"), ("source", "\"alice\""), ("topic", "\"ops\""),
        ("type", "\"offer\""), ("v", "1"),
    ]
    if let field {
        members = members.compactMap { $0.0 == field ? (value.map { (field, $0) }) : $0 }
    }
    return "{" + members.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
}

private let sampleOffer = Offer(
    batch: 42, topic: "ops", destination: "ops", source: "alice", name: "ops",
    files: [OfferFile(path: "a.txt", size: 3)], size: 123, sha256: archiveHash,
    pieceSize: 65536, pieces: [pieceHash])

/// Every message type and the exact JSON it is on the wire.
private let wireExamples: [(SubscriptionMessage, String)] = [
    (.hello(Hello(user: "bob", software: "batchd-recv 1.0")),
     #"{"software":"batchd-recv 1.0","type":"hello","user":"bob","v":1}"#),
    (.hello(Hello(user: "carol", software: "batchd-recv 1.0", listen: "198.18.0.3:2300", hostKey: carolHostKey)),
     #"{"host_key":"\#(carolHostKey)","listen":"198.18.0.3:2300","software":"batchd-recv 1.0","type":"hello","#
        + #""user":"carol","v":1}"#),
    (.offer(sampleOffer),
     #"{"batch":42,"destination":"ops","files":[{"path":"a.txt","size":3}],"name":"ops","piece_size":65536,"#
        + #""pieces":["\#(pieceHash)"],"sha256":"\#(archiveHash)","size":123,"source":"alice","topic":"ops","#
        + #""type":"offer","v":1}"#),
    (.accept(batch: 42), #"{"batch":42,"type":"accept","v":1}"#),
    (.decline(batch: 42, reason: "disk full"), #"{"batch":42,"reason":"disk full","type":"decline","v":1}"#),
    (.progress(batch: 42, bytes: 65536, total: 123456, source: "server"),
     #"{"batch":42,"bytes":65536,"source":"server","total":123456,"type":"progress","v":1}"#),
    (.delivered(batch: 42, receivedFrom: ["server": 23, "carol": 100]),
     #"{"batch":42,"received_from":{"carol":100,"server":23},"type":"delivered","v":1}"#),
    (.failed(batch: 42, reason: "piece 3 hash mismatch"),
     #"{"batch":42,"reason":"piece 3 hash mismatch","type":"failed","v":1}"#),
    (.withdrawn(batch: 42, reason: "purged by admin"),
     #"{"batch":42,"reason":"purged by admin","type":"withdrawn","v":1}"#),
    (.plan(Plan(
        batch: 42,
        sources: [PlanSource(name: "carol", address: "198.18.0.3:2300", hostKey: carolHostKey), .server],
        grants: [PeerGrant(user: "dave", keys: [daveUserKey])])),
     #"{"batch":42,"grants":[{"keys":["\#(daveUserKey)"],"user":"dave"}],"#
        + #""sources":[{"address":"198.18.0.3:2300","host_key":"\#(carolHostKey)","name":"carol"},"#
        + #"{"address":null,"host_key":null,"name":"server"}],"type":"plan","v":1}"#),
    (.sample(LinkSampleReport(batch: 42, source: "carol", bytes: 10_485_760, seconds: 1.25, rttMs: 0.8)),
     #"{"batch":42,"bytes":10485760,"rtt_ms":0.8,"seconds":1.25,"source":"carol","type":"sample","v":1}"#),
    (.dropped(batch: 42, source: "carol", reason: "too slow"),
     #"{"batch":42,"reason":"too slow","source":"carol","type":"dropped","v":1}"#),
    (.keepalive, #"{"type":"keepalive","v":1}"#),
    (.error(message: "batch 7 was not offered to you"),
     #"{"message":"batch 7 was not offered to you","type":"error","v":1}"#),
    (.unknown(type: "ping"), #"{"type":"ping","v":1}"#),
]

/// A small deterministic generator (SplitMix64) so the random tests repeat.
private struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The subscription channel's messages, byte for byte, and the framer that
/// cuts them from a stream.
@Suite struct SubscriptionProtocolTests {
    // MARK: - Encoding and decoding

    @Test(arguments: wireExamples)
    func everyMessageEncodesToItsExactBytesAndDecodesBack(message: SubscriptionMessage, json: String) throws {
        #expect(message.encodeFrame() == frame(json))
        #expect(try decode(json) == message)
    }

    @Test func longReasonsAreShortenedToWhatTheOtherSideAccepts() throws {
        let long = String(repeating: "é", count: 700) + "x"
        let message = SubscriptionMessage.dropped(batch: 1, source: "bob", reason: long).withTextShortened()
        guard case .dropped(_, _, let reason) = message else { Issue.record("\(message)"); return }
        #expect(reason.utf8.count <= SubscriptionMessage.maxTextLength)
        #expect(reason.hasSuffix("…") && reason.hasPrefix("éé"))
        // It decodes: the server would not refuse it.
        let payload = Array(message.encodeFrame().dropFirst(4))
        #expect(try SubscriptionMessage.decode(payload: payload) == message)
        #expect(SubscriptionMessage.failed(batch: 1, reason: "short").withTextShortened() == .failed(batch: 1, reason: "short"))
        #expect(SubscriptionMessage.shortened(String(repeating: "a", count: 1024)).utf8.count == 1024)
    }

    @Test func typeNamesMatchTheWire() {
        #expect(wireExamples.map(\.0.typeName) == [
            "hello", "hello", "offer", "accept", "decline", "progress", "delivered", "failed", "withdrawn",
            "plan", "sample", "dropped", "keepalive", "error", "ping",
        ])
    }

    @Test func offerWithoutTopicCarriesNull() throws {
        var offer = sampleOffer
        offer.topic = nil
        offer.destination = "@bob,carol"
        offer.name = "from-alice"
        let bytes = SubscriptionMessage.offer(offer).encodeFrame()
        let text = String(decoding: bytes.dropFirst(4), as: UTF8.self)
        #expect(text.contains(#""destination":"@bob,carol""#))
        #expect(text.contains(#""name":"from-alice""#))
        #expect(text.contains(#""topic":null"#))
        #expect(try SubscriptionMessage.decode(payload: Array(bytes.dropFirst(4))) == .offer(offer))
    }

    @Test func anOfferOfMorePiecesThanItCarriesLeavesTheListOutPinnedByItsDigest() throws {
        let count = 20_000
        var offer = sampleOffer
        offer.size = Int64(count) * 65536
        offer.pieces = Array(repeating: pieceHash, count: count)
        offer.pieceCount = count
        let listDigest = String(repeating: "ab", count: 32)
        let sent = offer.sent { listDigest }
        #expect(sent.pieces.isEmpty && sent.pieceCount == count && sent.pieceListSHA256 == listDigest)
        #expect(!sent.piecesListed)
        let frame = SubscriptionMessage.offer(sent).encodeFrame()
        #expect(frame.count < 1024, "\(frame.count) bytes")
        #expect(try SubscriptionMessage.decode(payload: Array(frame.dropFirst(4))) == .offer(sent))
        let listed = sent.listing(offer.pieces)
        #expect(listed.piecesListed && listed.pieces.count == count && listed.pieceCount == count)
        // Up to the limit the list travels with the offer, as before.
        var small = sampleOffer
        small.size = Int64(Offer.inlinePieceLimit) * 65536
        small.pieces = Array(repeating: pieceHash, count: Offer.inlinePieceLimit)
        small.pieceCount = Offer.inlinePieceLimit
        #expect(small.sent { listDigest } == small)
        #expect(!String(decoding: SubscriptionMessage.offer(small).encodeFrame(), as: UTF8.self).contains("piece_list_sha256"))
    }

    @Test func anOfferWithoutItsListMustPinItAndStayWithinThePieceBound() {
        let digest = String(repeating: "cd", count: 32)
        expectRefused(offerJSON(replacing: "pieces", with: "[\"\(pieceHash)\"],\"piece_list_sha256\":\"\(digest)\""),
                      .badField(type: "offer", field: "pieces", reason: "must be empty when piece_list_sha256 is given"))
        expectRefused(offerJSON(replacing: "pieces", with: "[],\"piece_list_sha256\":\"XYZ\""),
                      .badField(type: "offer", field: "piece_list_sha256", reason: "must be a SHA-256 as 64 lowercase hex digits"))
        expectRefused(offerJSON(replacing: "pieces", with: "[]"),
                      .badField(type: "offer", field: "pieces", reason: "has 0 hashes, but 123 bytes in pieces of 65536 make 1"))
        let huge = Int64(Offer.maxPieceCount + 1) * 65536
        expectRefused(offerJSON(replacing: "size", with: "\(huge)").replacingOccurrences(of: "\"pieces\":[\"\(pieceHash)\"]",
                                                                                     with: "\"pieces\":[],\"piece_list_sha256\":\"\(digest)\""),
                      .badField(type: "offer", field: "size",
                                reason: "\(huge) bytes in pieces of 65536 make \(Offer.maxPieceCount + 1) pieces, more than \(Offer.maxPieceCount)"))
    }

    @Test func pieceListBytesAreThirtyTwoRawBytesPerHash() {
        let hashes = [pieceHash, archiveHash, String(repeating: "0", count: 64)]
        let bytes = PieceListBytes.encode(hashes)
        #expect(bytes?.count == 96)
        #expect(bytes.flatMap(PieceListBytes.decode) == hashes)
        #expect(PieceListBytes.encode(["ABCD" + String(repeating: "0", count: 60)]) == nil)
        #expect(PieceListBytes.encode(["abc"]) == nil)
        #expect(PieceListBytes.decode([UInt8](repeating: 1, count: 33)) == nil)
    }

    @Test func anOfferOfTwentyThousandFilesListsTheFirstAndCountsThemAll() throws {
        let all = (0..<20_000).map { OfferFile(path: "folder/" + String(repeating: "n", count: 70) + "-\($0).dat", size: 10) }
        let (listed, count) = Offer.listed(all)
        #expect(count == 20_000)
        #expect(listed.count < all.count && listed == Array(all.prefix(listed.count)))
        var offer = sampleOffer
        offer.files = listed
        offer.fileCount = count
        let frame = SubscriptionMessage.offer(offer).encodeFrame()
        #expect(frame.count < SubscriptionFramer.maxFrameLength / 2, "\(frame.count) bytes")
        let decoded = try SubscriptionMessage.decode(payload: Array(frame.dropFirst(4)))
        #expect(decoded == .offer(offer))
        guard case .offer(let back) = decoded else { return }
        #expect(back.totalFiles == 20_000)
        // A short list stays whole and carries no count: the same bytes as before.
        #expect(Offer.listed(Array(all.prefix(10))).fileCount == nil)
        #expect(!String(decoding: SubscriptionMessage.offer(sampleOffer).encodeFrame(), as: UTF8.self).contains("file_count"))
    }

    @Test func aFileCountBelowTheListedFilesIsRefused() throws {
        var offer = sampleOffer
        offer.fileCount = 0
        let frame = SubscriptionMessage.offer(offer).encodeFrame()
        #expect(throws: ProtocolError.self) { try SubscriptionMessage.decode(payload: Array(frame.dropFirst(4))) }
    }

    @Test func absentTopicDecodesAsNone() throws {
        guard case .offer(let offer) = try decode(offerJSON(replacing: "topic")) else {
            Issue.record("not an offer")
            return
        }
        #expect(offer.topic == nil)
    }

    @Test func textIsEscapedOnlyWhereJSONRequires() throws {
        let reason = "say \"no\"\\ path/x\nnext\ttab \u{1} café"
        let message = SubscriptionMessage.decline(batch: 1, reason: reason)
        let expected = #"{"batch":1,"reason":"say \"no\"\\ path/x\nnext\ttab \u0001 café","type":"decline","v":1}"#
        #expect(message.encodeFrame() == frame(expected))
        #expect(try decode(expected) == message)
    }

    @Test func frameLengthIsBigEndian() {
        let bytes = SubscriptionMessage.keepalive.encodeFrame()
        // {"type":"keepalive","v":1} is 26 bytes.
        #expect(Array(bytes.prefix(4)) == [0, 0, 0, 26])
        #expect(bytes.count == 30)
    }

    @Test func unknownFieldsInKnownMessagesAreIgnored() throws {
        #expect(try decode(#"{"v":1,"type":"accept","batch":9,"priority":"high"}"#) == .accept(batch: 9))
    }

    @Test func unknownTypeOfVersionOneIsTolerated() throws {
        #expect(try decode(#"{"v":1,"type":"relay_plan","peers":[{"user":"carol"}]}"#) == .unknown(type: "relay_plan"))
    }

    @Test func offerPieceRangesEndWithTheShortLastPiece() {
        let offer = Offer(
            batch: 1, topic: nil, destination: "@bob", source: "alice", name: "from-alice", files: [],
            size: 150_000, sha256: archiveHash, pieceSize: 65536, pieces: [pieceHash, pieceHash, pieceHash])
        #expect(offer.pieceCount == 3)
        #expect(offer.range(ofPiece: 0) == 0 ..< 65536)
        #expect(offer.range(ofPiece: 1) == 65536 ..< 131_072)
        #expect(offer.range(ofPiece: 2) == 131_072 ..< 150_000)
    }

    @Test func offerOfExactMultipleHasNoShortPiece() throws {
        let json = offerJSON(replacing: "size", with: "131072")
            .replacingOccurrences(of: "[\"\(pieceHash)\"]", with: "[\"\(pieceHash)\",\"\(pieceHash)\"]")
        guard case .offer(let offer) = try decode(json) else {
            Issue.record("not an offer")
            return
        }
        #expect(offer.range(ofPiece: 1) == 65536 ..< 131_072)
    }

    @Test func offerCodableUsesTheWireFieldNames() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(sampleOffer), as: UTF8.self)
        #expect(text.contains(#""piece_size":65536"#))
        #expect(try JSONDecoder().decode(Offer.self, from: Data(text.utf8)) == sampleOffer)
    }

    // MARK: - Refused messages

    @Test func malformedJSONIsRefused() {
        for text in ["{", "not json", "{\"v\":1 \"type\":\"keepalive\"}", "{\"v\":01}", ""] {
            #expect(throws: ProtocolError.self) { try decode(text) }
            do {
                _ = try decode(text)
            } catch {
                guard case .badJSON(let why) = error else {
                    Issue.record("\(text): \(error) is not badJSON")
                    continue
                }
                #expect(!why.isEmpty)
            }
        }
    }

    @Test func payloadThatIsNotAnObjectIsRefused() {
        expectRefused("[1,2]", .badJSON("the payload is an array, not an object"))
        expectRefused("\"offer\"", .badJSON("the payload is a string, not an object"))
    }

    @Test func invalidUTF8IsRefused() {
        let payload: [UInt8] = Array(#"{"v":1,"type":"error","message":""#.utf8) + [0xFF, 0xFE] + Array("\"}".utf8)
        #expect(throws: ProtocolError.self) { try SubscriptionMessage.decode(payload: payload) }
    }

    @Test func deeplyNestedJSONIsRefusedWithoutCrashing() {
        let open = [UInt8](repeating: UInt8(ascii: "["), count: 200_000)
        #expect(throws: ProtocolError.badJSON("arrays and objects nest deeper than 32 levels")) {
            try SubscriptionMessage.decode(payload: open)
        }
        let closed = open + [UInt8](repeating: UInt8(ascii: "]"), count: 200_000)
        #expect(throws: ProtocolError.badJSON("arrays and objects nest deeper than 32 levels")) {
            try SubscriptionMessage.decode(payload: closed)
        }
    }

    @Test func nestingUpToTheLimitIsAccepted() throws {
        let inner = String(repeating: "[", count: 31) + String(repeating: "]", count: 31)
        #expect(try decode(#"{"v":1,"type":"future","x":\#(inner)}"#) == .unknown(type: "future"))
        expectRefused(#"{"v":1,"type":"future","x":[\#(inner)]}"#,
                      .badJSON("arrays and objects nest deeper than 32 levels"))
        // Brackets inside strings do not count.
        let text = String(repeating: "[{", count: 100)
        #expect(try decode(#"{"v":1,"type":"error","message":"\"\#(text)"}"#) == .error(message: "\"" + text))
    }

    @Test func badValueInsideValidStructureNamesItsPlace() throws {
        for json in [#"{"v":1,"type":"accept","batch":01}"#, #"{"v":1,"type":"accept","batch":"\ud800"}"#] {
            do {
                _ = try decode(json)
                Issue.record("\(json) was accepted")
            } catch {
                guard case .badJSON(let why) = error else {
                    Issue.record("\(json): \(error) is not badJSON")
                    continue
                }
                #expect(why.hasPrefix("at batch:"))
            }
        }
    }

    @Test func otherVersionsAreRefused() {
        expectRefused(#"{"v":2,"type":"accept","batch":1}"#, .unsupportedVersion(2))
        expectRefused(#"{"type":"accept","batch":1}"#, .unsupportedVersion(0))
        expectRefused(#"{"v":"1","type":"accept","batch":1}"#, .unsupportedVersion(0))
        expectRefused(#"{"v":1.5,"type":"accept","batch":1}"#, .unsupportedVersion(0))
        // Version is checked before type, so an unknown type of v2 is not tolerated.
        expectRefused(#"{"v":2,"type":"future"}"#, .unsupportedVersion(2))
    }

    @Test func missingTypeIsRefused() {
        expectRefused(#"{"v":1,"batch":1}"#, .missingField(type: "message", field: "type"))
        expectRefused(#"{"v":1,"type":7}"#,
                      .badField(type: "message", field: "type", reason: "must be a string of 1 to 64 bytes"))
        expectRefused(#"{"v":1,"type":""}"#,
                      .badField(type: "message", field: "type", reason: "must be a string of 1 to 64 bytes"))
    }

    @Test func missingFieldsAreNamed() {
        expectRefused(#"{"v":1,"type":"accept"}"#, .missingField(type: "accept", field: "batch"))
        expectRefused(#"{"v":1,"type":"decline","batch":1}"#, .missingField(type: "decline", field: "reason"))
        expectRefused(#"{"v":1,"type":"progress","batch":1,"bytes":0,"total":5}"#,
                      .missingField(type: "progress", field: "source"))
        expectRefused(#"{"v":1,"type":"delivered","batch":1}"#, .missingField(type: "delivered", field: "received_from"))
        expectRefused(#"{"v":1,"type":"hello","user":"bob"}"#, .missingField(type: "hello", field: "software"))
        expectRefused(#"{"v":1,"type":"error"}"#, .missingField(type: "error", field: "message"))
        expectRefused(#"{"v":1,"type":"withdrawn","reason":"x"}"#, .missingField(type: "withdrawn", field: "batch"))
        for field in ["batch", "destination", "source", "name", "files", "size", "sha256", "piece_size", "pieces"] {
            expectRefused(offerJSON(replacing: field), .missingField(type: "offer", field: field))
        }
        expectRefused(offerJSON(replacing: "files", with: #"[{"size":3}]"#),
                      .missingField(type: "offer", field: "files[0].path"))
    }

    @Test func batchMustBeAPositiveInteger() {
        expectRefused(#"{"v":1,"type":"accept","batch":0}"#,
                      .badField(type: "accept", field: "batch", reason: "must be at least 1, not 0"))
        expectRefused(#"{"v":1,"type":"accept","batch":-4}"#,
                      .badField(type: "accept", field: "batch", reason: "must be at least 1, not -4"))
        expectRefused(#"{"v":1,"type":"accept","batch":"42"}"#,
                      .badField(type: "accept", field: "batch", reason: "must be an integer, not a string"))
        expectRefused(#"{"v":1,"type":"accept","batch":true}"#,
                      .badField(type: "accept", field: "batch", reason: "must be an integer, not a boolean"))
        expectRefused(#"{"v":1,"type":"accept","batch":null}"#,
                      .badField(type: "accept", field: "batch", reason: "must be an integer, not null"))
        expectRefused(#"{"v":1,"type":"accept","batch":1.5}"#,
                      .badField(type: "accept", field: "batch", reason: "must be an integer, not a non-integer number"))
        expectRefused(#"{"v":1,"type":"accept","batch":99999999999999999999}"#,
                      .badField(type: "accept", field: "batch", reason: "must be an integer, not a non-integer number"))
    }

    @Test func badArchiveHashIsRefused() {
        let reason = "must be a SHA-256 as 64 lowercase hex digits"
        expectRefused(offerJSON(replacing: "sha256", with: "\"\(archiveHash.uppercased())\""),
                      .badField(type: "offer", field: "sha256", reason: reason))
        expectRefused(offerJSON(replacing: "sha256", with: "\"\(archiveHash.dropLast())\""),
                      .badField(type: "offer", field: "sha256", reason: reason))
        expectRefused(offerJSON(replacing: "sha256", with: "\"\(archiveHash)0\""),
                      .badField(type: "offer", field: "sha256", reason: reason))
    }

    @Test func badPieceHashIsRefused() {
        let notHex = String(pieceHash.dropLast()) + "g"
        expectRefused(offerJSON(replacing: "pieces", with: "[\"\(notHex)\"]"),
                      .badField(type: "offer", field: "pieces[0]", reason: "must be a SHA-256 as 64 lowercase hex digits"))
        expectRefused(offerJSON(replacing: "pieces", with: "[7]"),
                      .badField(type: "offer", field: "pieces[0]", reason: "must be a string, not an integer"))
    }

    @Test func pieceCountMustMatchSizeAndPieceSize() {
        expectRefused(offerJSON(replacing: "size", with: "65537"),
                      .badField(type: "offer", field: "pieces",
                                reason: "has 1 hashes, but 65537 bytes in pieces of 65536 make 2"))
        expectRefused(offerJSON(replacing: "pieces", with: "[]"),
                      .badField(type: "offer", field: "pieces",
                                reason: "has 0 hashes, but 123 bytes in pieces of 65536 make 1"))
        expectRefused(offerJSON(replacing: "size", with: "0"),
                      .badField(type: "offer", field: "pieces",
                                reason: "has 1 hashes, but 0 bytes in pieces of 65536 make 0"))
    }

    @Test func emptyArchiveHasNoPieces() throws {
        let json = offerJSON(replacing: "size", with: "0").replacingOccurrences(of: "[\"\(pieceHash)\"]", with: "[]")
        guard case .offer(let offer) = try decode(json) else {
            Issue.record("not an offer")
            return
        }
        #expect(offer.pieceCount == 0)
    }

    @Test func pieceSizeOutsideLimitsIsRefused() {
        expectRefused(offerJSON(replacing: "piece_size", with: "65535"),
                      .badField(type: "offer", field: "piece_size", reason: "65535 is outside 65536...268435456"))
        expectRefused(offerJSON(replacing: "piece_size", with: "268435457"),
                      .badField(type: "offer", field: "piece_size", reason: "268435457 is outside 65536...268435456"))
        expectRefused(offerJSON(replacing: "piece_size", with: "0"),
                      .badField(type: "offer", field: "piece_size", reason: "0 is outside 65536...268435456"))
    }

    @Test func offerNamesThatCouldEscapeTheInboxAreRefused() {
        for name in ["../etc", "a/b", "", ".hidden", "from-", "from-../x"] {
            #expect(throws: ProtocolError.self) { try decode(offerJSON(replacing: "name", with: "\"\(name)\"")) }
        }
        #expect(throws: Never.self) { try decode(offerJSON(replacing: "name", with: "\"from-alice\"")) }
    }

    @Test func offerDestinationAndNamesAreChecked() {
        expectRefused(offerJSON(replacing: "destination", with: "\"a/b\""),
                      .badField(type: "offer", field: "destination", reason: "'a/b' is not a topic or @user list"))
        #expect(throws: ProtocolError.self) { try decode(offerJSON(replacing: "source", with: "\"al ice\"")) }
        #expect(throws: ProtocolError.self) { try decode(offerJSON(replacing: "topic", with: "\"\"")) }
        #expect(throws: ProtocolError.self) { try decode(offerJSON(replacing: "topic", with: "3")) }
    }

    @Test func filePathsMustBeNonEmptyAndSizesNonNegative() {
        expectRefused(offerJSON(replacing: "files", with: #"[{"path":"","size":3}]"#),
                      .badField(type: "offer", field: "files[0].path", reason: "must not be empty"))
        expectRefused(offerJSON(replacing: "files", with: #"[{"path":"a","size":-1}]"#),
                      .badField(type: "offer", field: "files[0].size", reason: "must be at least 0, not -1"))
        expectRefused(offerJSON(replacing: "files", with: #"["a.txt"]"#),
                      .badField(type: "offer", field: "files[0]", reason: "must be an object, not a string"))
    }

    @Test func reasonsAreLimitedTo1024Bytes() throws {
        let atLimit = String(repeating: "é", count: 512)
        #expect(try decode(#"{"v":1,"type":"failed","batch":1,"reason":"\#(atLimit)"}"#)
            == .failed(batch: 1, reason: atLimit))
        expectRefused(#"{"v":1,"type":"failed","batch":1,"reason":"\#(atLimit)x"}"#,
                      .badField(type: "failed", field: "reason", reason: "is 1025 bytes, more than 1024"))
        expectRefused(#"{"v":1,"type":"decline","batch":1,"reason":"\#(atLimit)x"}"#,
                      .badField(type: "decline", field: "reason", reason: "is 1025 bytes, more than 1024"))
    }

    @Test func progressCountsMustNotBeNegative() {
        expectRefused(#"{"v":1,"type":"progress","batch":1,"bytes":-1,"total":5,"source":"server"}"#,
                      .badField(type: "progress", field: "bytes", reason: "must be at least 0, not -1"))
        expectRefused(#"{"v":1,"type":"progress","batch":1,"bytes":1,"total":-5,"source":"server"}"#,
                      .badField(type: "progress", field: "total", reason: "must be at least 0, not -5"))
    }

    @Test func receivedFromNeedsNamesAndNonNegativeCounts() {
        expectRefused(#"{"v":1,"type":"delivered","batch":1,"received_from":{"server":-1}}"#,
                      .badField(type: "delivered", field: "received_from",
                                reason: "bytes from 'server' must be a non-negative integer"))
        #expect(throws: ProtocolError.self) {
            try decode(#"{"v":1,"type":"delivered","batch":1,"received_from":{"a b":1}}"#)
        }
        #expect(throws: ProtocolError.self) {
            try decode(#"{"v":1,"type":"delivered","batch":1,"received_from":[1]}"#)
        }
    }

    @Test func errorDescriptionsAreSentences() {
        #expect(ProtocolError.missingField(type: "offer", field: "pieces").description
            == "offer message lacks its \"pieces\" field")
        #expect(ProtocolError.frameTooLarge(2_000_000).description.contains("1048576-byte limit"))
        #expect(ProtocolError.unsupportedVersion(2).description.contains("version 2"))
        #expect(ProtocolError.missingField(type: "message", field: "type").description
            == "protocol message lacks its \"type\" field")
    }

    // MARK: - Framer

    /// Every example message, framed back to back.
    private var stream: [UInt8] { wireExamples.flatMap { $0.0.encodeFrame() } }

    @Test func framerReassemblesMessagesFedOneByteAtATime() throws {
        var framer = SubscriptionFramer()
        var messages: [SubscriptionMessage] = []
        for byte in stream {
            framer.append([byte])
            while let message = try framer.next() { messages.append(message) }
        }
        #expect(messages == wireExamples.map(\.0))
        #expect(framer.bufferedByteCount == 0)
    }

    @Test func framerReassemblesMessagesAcrossRandomChunks() throws {
        var random = SeededGenerator(state: 7)
        let bytes = stream
        for _ in 0 ..< 50 {
            var framer = SubscriptionFramer()
            var messages: [SubscriptionMessage] = []
            var index = 0
            while index < bytes.count {
                let end = min(bytes.count, index + Int.random(in: 1 ... 97, using: &random))
                Array(bytes[index ..< end]).withUnsafeBytes { framer.append($0) }
                index = end
                while let message = try framer.next() { messages.append(message) }
            }
            #expect(messages == wireExamples.map(\.0))
        }
    }

    @Test func framerWaitsForTheWholeFrame() throws {
        var framer = SubscriptionFramer()
        let bytes = SubscriptionMessage.accept(batch: 3).encodeFrame()
        framer.append(Array(bytes.dropLast()))
        #expect(try framer.next() == nil)
        #expect(framer.bufferedByteCount == bytes.count - 1)
        framer.append([bytes[bytes.count - 1]])
        #expect(try framer.next() == .accept(batch: 3))
        #expect(try framer.next() == nil)
    }

    @Test func oversizeFrameIsRefusedBeforeItsBodyIsBuffered() {
        var framer = SubscriptionFramer()
        framer.append([0x00, 0x10, 0x00])
        framer.append([0x01] + [UInt8](repeating: 0x41, count: 1000))
        #expect(framer.bufferedByteCount == 0)
        framer.append([UInt8](repeating: 0x41, count: 1000))
        #expect(framer.bufferedByteCount == 0)
        #expect(throws: ProtocolError.frameTooLarge((1 << 20) + 1)) { try framer.next() }
        // Sticky: the stream has lost its place, so later bytes change nothing.
        framer.append(SubscriptionMessage.keepalive.encodeFrame())
        #expect(throws: ProtocolError.frameTooLarge((1 << 20) + 1)) { try framer.next() }
    }

    @Test func largestDeclaredLengthIsAccepted() throws {
        var framer = SubscriptionFramer()
        framer.append([0x00, 0x10, 0x00, 0x00, 0x7B])
        #expect(try framer.next() == nil)
        #expect(framer.bufferedByteCount == 5)
    }

    @Test func emptyFrameIsRefused() {
        var framer = SubscriptionFramer()
        framer.append([0, 0, 0, 0] + SubscriptionMessage.keepalive.encodeFrame())
        #expect(framer.bufferedByteCount == 0)
        #expect(throws: ProtocolError.emptyFrame) { try framer.next() }
        #expect(throws: ProtocolError.emptyFrame) { try framer.next() }
    }

    @Test func badMessageInAGoodFrameDoesNotStopTheStream() throws {
        var framer = SubscriptionFramer()
        framer.append(frame(#"{"v":1,"type":"accept"}"#) + SubscriptionMessage.keepalive.encodeFrame())
        #expect(throws: ProtocolError.missingField(type: "accept", field: "batch")) { try framer.next() }
        #expect(try framer.next() == .keepalive)
    }

    // MARK: - Hostile input

    @Test func randomBytesNeverCrashTheDecoderOrFramer() throws {
        var random = SeededGenerator(state: 2024)
        let valid = wireExamples.map { Array($0.1.utf8) }
        var decoded = 0
        for round in 0 ..< 3000 {
            var payload: [UInt8]
            if round % 2 == 0 {
                payload = (0 ..< Int.random(in: 0 ... 64, using: &random)).map { _ in UInt8.random(in: 0 ... 255, using: &random) }
            } else {
                // Mutations of real messages reach deeper into field checks.
                payload = valid[Int.random(in: 0 ..< valid.count, using: &random)]
                for _ in 0 ..< Int.random(in: 1 ... 4, using: &random) {
                    payload[Int.random(in: 0 ..< payload.count, using: &random)] = UInt8.random(in: 0 ... 255, using: &random)
                }
            }
            do {
                let message = try SubscriptionMessage.decode(payload: payload)
                decoded += 1
                // Whatever is accepted re-encodes to something that decodes the same.
                #expect(try SubscriptionMessage.decode(payload: message.encodePayload()) == message)
            } catch {
                #expect(!error.description.isEmpty)
            }
            var framer = SubscriptionFramer()
            framer.append(payload)
            do {
                while try framer.next() != nil {}
            } catch {
                #expect(!error.description.isEmpty)
            }
        }
        // Some single-byte mutations (inside a string) keep the message valid.
        #expect(decoded > 0)
    }
}
