import Testing
@testable import BatchCore

// Wire builders that spell packets the way the draft does, so each test reads
// as the bytes a client sends.
private func u32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
private func u64(_ v: UInt64) -> [UInt8] { u32(UInt32(v >> 32)) + u32(UInt32(v & 0xFFFF_FFFF)) }
private func str(_ s: String) -> [UInt8] { str(Array(s.utf8)) }
private func str(_ b: [UInt8]) -> [UInt8] { u32(UInt32(b.count)) + b }
private func packet(_ payload: [UInt8]) -> [UInt8] { u32(UInt32(payload.count)) + payload }
private let noAttrs = u32(0)

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

private func decode(_ payload: [UInt8]) throws -> SFTPRequest {
    try SFTPRequest.decode(payload)
}

/// SFTP v3 packets, byte for byte, and the framer that cuts them from a stream.
@Suite struct SFTPCodecTests {
    // MARK: - Requests

    @Test func initDecodesVersionWithoutRequestID() throws {
        #expect(try decode([1] + u32(3)) == .initialize(version: 3, extensions: []))
        #expect(try decode([1] + u32(3)).id == nil)
    }

    @Test func initKeepsClientExtensions() throws {
        let payload = [1] + u32(3) + str("foo@example.com") + str("2")
        #expect(try decode(payload) == .initialize(version: 3, extensions: [SFTPExtensionPair(name: "foo@example.com", value: "2")]))
    }

    @Test func openDecodesPathFlagsAndAttributes() throws {
        // What OpenSSH scp sends: WRITE|CREAT|TRUNC (0x1a) with permissions.
        let payload = [3] + u32(7) + str("ops/report.pdf") + u32(0x1A) + u32(0x04) + u32(0o100644)
        let request = try decode(payload)
        #expect(request == .open(
            id: 7, path: Array("ops/report.pdf".utf8), flags: [.write, .creat, .trunc],
            attributes: SFTPAttributes(permissions: 0o100644)))
        #expect(request.id == 7)
    }

    @Test func openFlagsMatchTheDraftBits() {
        #expect(SFTPOpenFlags.read.rawValue == 0x01)
        #expect(SFTPOpenFlags.write.rawValue == 0x02)
        #expect(SFTPOpenFlags.append.rawValue == 0x04)
        #expect(SFTPOpenFlags.creat.rawValue == 0x08)
        #expect(SFTPOpenFlags.trunc.rawValue == 0x10)
        #expect(SFTPOpenFlags.excl.rawValue == 0x20)
    }

    @Test func openKeepsUnknownFlagBits() throws {
        guard case .open(_, _, let flags, _) = try decode([3] + u32(1) + str("a") + u32(0x101) + noAttrs) else {
            Issue.record("not an open")
            return
        }
        #expect(flags.contains(.read))
        #expect(flags.rawValue == 0x101)
    }

    @Test func closeDecodesHandle() throws {
        #expect(try decode([4] + u32(9) + str([0, 0, 0, 5])) == .close(id: 9, handle: [0, 0, 0, 5]))
    }

    @Test func readDecodesHandleOffsetAndLength() throws {
        let payload = [5] + u32(10) + str([1, 2]) + u64(0x1_0000_0002) + u32(32768)
        #expect(try decode(payload) == .read(id: 10, handle: [1, 2], offset: 0x1_0000_0002, length: 32768))
    }

    @Test func writeDecodesExactlyTheDataBytes() throws {
        let data: [UInt8] = (0 ..< 300).map { UInt8($0 % 251) }
        let payload = [6] + u32(11) + str([7]) + u64(4096) + str(data)
        #expect(try decode(payload) == .write(id: 11, handle: [7], offset: 4096, data: data))
    }

    @Test func writeOfEmptyDataDecodes() throws {
        #expect(try decode([6] + u32(1) + str([7]) + u64(0) + str([UInt8]())) == .write(id: 1, handle: [7], offset: 0, data: []))
    }

    @Test func pathRequestsDecodeTheirPath() throws {
        let path = Array("ops/a b".utf8)
        #expect(try decode([7] + u32(1) + str(path)) == .lstat(id: 1, path: path))
        #expect(try decode([11] + u32(2) + str(path)) == .opendir(id: 2, path: path))
        #expect(try decode([13] + u32(3) + str(path)) == .remove(id: 3, path: path))
        #expect(try decode([15] + u32(4) + str(path)) == .rmdir(id: 4, path: path))
        #expect(try decode([16] + u32(5) + str(path)) == .realpath(id: 5, path: path))
        #expect(try decode([17] + u32(6) + str(path)) == .stat(id: 6, path: path))
        #expect(try decode([19] + u32(7) + str(path)) == .readlink(id: 7, path: path))
    }

    @Test func handleRequestsDecodeTheirHandle() throws {
        #expect(try decode([8] + u32(1) + str([9, 9])) == .fstat(id: 1, handle: [9, 9]))
        #expect(try decode([12] + u32(2) + str([9, 9])) == .readdir(id: 2, handle: [9, 9]))
    }

    @Test func setstatAndFsetstatDecodeAttributes() throws {
        let attrs = u32(0x0C) + u32(0o644) + u32(1_700_000_000) + u32(1_700_000_001)
        let expected = SFTPAttributes(permissions: 0o644, atime: 1_700_000_000, mtime: 1_700_000_001)
        #expect(try decode([9] + u32(1) + str("x") + attrs) == .setstat(id: 1, path: Array("x".utf8), attributes: expected))
        #expect(try decode([10] + u32(2) + str([1]) + attrs) == .fsetstat(id: 2, handle: [1], attributes: expected))
    }

    @Test func mkdirDecodesPathAndAttributes() throws {
        let payload = [14] + u32(3) + str("ops/dir") + u32(0x04) + u32(0o755)
        #expect(try decode(payload) == .mkdir(id: 3, path: Array("ops/dir".utf8), attributes: SFTPAttributes(permissions: 0o755)))
    }

    @Test func renameDecodesOldThenNew() throws {
        #expect(try decode([18] + u32(4) + str("a.tmp") + str("a")) == .rename(id: 4, oldPath: Array("a.tmp".utf8), newPath: Array("a".utf8)))
    }

    @Test func symlinkFollowsOpenSSHArgumentOrder() throws {
        // OpenSSH sends the target first and the new link second, the reverse
        // of the draft's field order.
        let request = try decode([20] + u32(5) + str("/etc/passwd") + str("ops/link"))
        #expect(request == .symlink(id: 5, linkPath: Array("ops/link".utf8), targetPath: Array("/etc/passwd".utf8)))
    }

    @Test func pathsWithNulAndInvalidUTF8StillDecode() throws {
        let hostile: [UInt8] = [0x6F, 0x70, 0x73, 0x00, 0xFF, 0xFE]
        #expect(try decode([17] + u32(1) + str(hostile)) == .stat(id: 1, path: hostile))
        #expect(try decode([3] + u32(2) + str(hostile) + u32(0x1A) + noAttrs)
            == .open(id: 2, path: hostile, flags: [.write, .creat, .trunc], attributes: .empty))
    }

    @Test func trailingBytesAfterTheLastFieldAreIgnored() throws {
        #expect(try decode([4] + u32(9) + str([1]) + [0xDE, 0xAD]) == .close(id: 9, handle: [1]))
    }

    // MARK: - Extended requests

    @Test func limitsExtensionDecodes() throws {
        #expect(try decode([200] + u32(1) + str("limits@openssh.com")) == .extended(id: 1, request: .limits))
    }

    @Test func posixRenameAndHardlinkDecodeBothPaths() throws {
        #expect(try decode([200] + u32(2) + str("posix-rename@openssh.com") + str("a") + str("b"))
            == .extended(id: 2, request: .posixRename(oldPath: [0x61], newPath: [0x62])))
        #expect(try decode([200] + u32(3) + str("hardlink@openssh.com") + str("a") + str("b"))
            == .extended(id: 3, request: .hardlink(oldPath: [0x61], newPath: [0x62])))
    }

    @Test func handleAndPathExtensionsDecode() throws {
        #expect(try decode([200] + u32(4) + str("fsync@openssh.com") + str([0, 1]))
            == .extended(id: 4, request: .fsync(handle: [0, 1])))
        #expect(try decode([200] + u32(5) + str("statvfs@openssh.com") + str("/"))
            == .extended(id: 5, request: .statvfs(path: [0x2F])))
        #expect(try decode([200] + u32(6) + str("fstatvfs@openssh.com") + str([3]))
            == .extended(id: 6, request: .fstatvfs(handle: [3])))
    }

    @Test func unknownExtensionKeepsItsRawBody() throws {
        let request = try decode([200] + u32(7) + str("copy-data") + [1, 2, 3])
        #expect(request == .extended(id: 7, request: .other(name: "copy-data", data: [1, 2, 3])))
        guard case .extended(_, let ext) = request else { return }
        #expect(ext.name == "copy-data")
    }

    @Test func knownExtensionWithMissingArgumentsIsTruncated() {
        #expect(throws: SFTPError.truncated("new path")) {
            try SFTPRequest.decode([200] + u32(2) + str("posix-rename@openssh.com") + str("a"))
        }
    }

    @Test func extensionNameMustBeUTF8() {
        #expect(throws: SFTPError.invalidUTF8("extension name")) {
            try SFTPRequest.decode([200] + u32(2) + str([0xFF, 0xFE]))
        }
    }

    // MARK: - Unknown types and malformed packets

    @Test func unknownPacketTypeKeepsItsID() throws {
        #expect(try decode([99] + u32(42)) == .unknown(type: 99, id: 42))
        #expect(try decode([99] + u32(42)).id == 42)
    }

    @Test func serverToClientTypesFromAClientAreUnknown() throws {
        #expect(try decode([101] + u32(8) + u32(0)) == .unknown(type: 101, id: 8))
        #expect(try decode([2] + u32(3)) == .unknown(type: 2, id: 3))
    }

    @Test func emptyPayloadIsTruncated() {
        #expect(throws: SFTPError.truncated("packet type")) { try SFTPRequest.decode([]) }
    }

    @Test func missingRequestIDIsTruncated() {
        #expect(throws: SFTPError.truncated("request id")) { try SFTPRequest.decode([17, 0, 0]) }
        #expect(throws: SFTPError.truncated("request id")) { try SFTPRequest.decode([99]) }
    }

    @Test func stringLengthPastThePacketEndIsTruncated() {
        // The path claims 4 GiB; the decoder must refuse without allocating it.
        #expect(throws: SFTPError.truncated("path")) {
            try SFTPRequest.decode([17] + u32(1) + u32(0xFFFF_FFFF) + Array("ops".utf8))
        }
    }

    @Test func writeDataLongerThanThePacketIsTruncated() {
        #expect(throws: SFTPError.truncated("data")) {
            try SFTPRequest.decode([6] + u32(1) + str([7]) + u64(0) + u32(100) + [1, 2, 3])
        }
    }

    @Test func readMissingLengthIsTruncated() {
        #expect(throws: SFTPError.truncated("length")) {
            try SFTPRequest.decode([5] + u32(1) + str([7]) + u64(0) + [0, 0])
        }
    }

    @Test func openMissingAttributesIsTruncated() {
        #expect(throws: SFTPError.truncated("attribute flags")) {
            try SFTPRequest.decode([3] + u32(1) + str("a") + u32(0x1A))
        }
    }

    @Test func everyPrefixOfAValidRequestIsRefusedCleanly() throws {
        let requests: [[UInt8]] = [
            [3] + u32(1) + str("ops/file") + u32(0x1A) + u32(0x8000_000F) + u64(5) + u32(1) + u32(2) + u32(0o644)
                + u32(1) + u32(2) + u32(1) + str("name") + str("value"),
            [6] + u32(2) + str([1, 2, 3, 4]) + u64(99) + str([9, 8, 7]),
            [5] + u32(3) + str([1]) + u64(0) + u32(10),
            [18] + u32(4) + str("a") + str("b"),
            [20] + u32(5) + str("t") + str("l"),
            [200] + u32(6) + str("hardlink@openssh.com") + str("a") + str("b"),
        ]
        for full in requests {
            _ = try SFTPRequest.decode(full)
            for cut in 0 ..< full.count {
                #expect(throws: SFTPError.self) { try SFTPRequest.decode(Array(full[..<cut])) }
            }
        }
    }

    // MARK: - Attributes

    @Test func attributesWithEveryFieldDecode() throws {
        let bytes = u32(0x8000_000F) + u64(1234) + u32(1000) + u32(100) + u32(0o100600) + u32(11) + u32(22)
            + u32(2) + str("a@x") + str([1]) + str("b@x") + str([UInt8]())
        let attrs = try SFTPAttributes.decode(bytes)
        #expect(attrs == SFTPAttributes(
            size: 1234, uid: 1000, gid: 100, permissions: 0o100600, atime: 11, mtime: 22,
            extended: [SFTPExtensionPair(name: "a@x", data: [1]), SFTPExtensionPair(name: "b@x", data: [])]))
        #expect(attrs.flags == 0x8000_000F)
        #expect(attrs.encode() == bytes)
    }

    @Test func emptyAttributesAreFlagsZero() throws {
        #expect(SFTPAttributes.empty.encode() == [0, 0, 0, 0])
        #expect(try SFTPAttributes.decode([0, 0, 0, 0]) == .empty)
    }

    @Test func sizeOnlyAttributesEncode() {
        #expect(SFTPAttributes(size: 5).encode() == u32(1) + u64(5))
    }

    @Test func uidAloneEncodesGidAsZero() {
        #expect(SFTPAttributes(uid: 7).encode() == u32(2) + u32(7) + u32(0))
    }

    @Test func undefinedAttributeFlagBitsAreIgnored() throws {
        // v4+ bits carry no v3 fields; OpenSSH ignores them the same way.
        #expect(try SFTPAttributes.decode(u32(0x0000_0100 | 0x04) + u32(0o644)) == SFTPAttributes(permissions: 0o644))
    }

    @Test func lyingExtendedAttributeCountIsTruncated() {
        #expect(throws: SFTPError.truncated("extended attribute name")) {
            try SFTPAttributes.decode(u32(0x8000_0000) + u32(0xFFFF_FFFF))
        }
    }

    // MARK: - Responses

    @Test func versionEncodesProtocol3AndExtensions() {
        let bytes = SFTPResponse.version(extensions: [SFTPExtensionPair(name: "limits@openssh.com", value: "1")]).encode()
        #expect(bytes == packet([2] + u32(3) + str("limits@openssh.com") + str("1")))
    }

    @Test func statusEncodesCodeMessageAndEmptyLanguage() {
        let bytes = SFTPResponse.status(id: 5, code: .permissionDenied, message: "no").encode()
        #expect(bytes == [0, 0, 0, 0x13, 101, 0, 0, 0, 5, 0, 0, 0, 3, 0, 0, 0, 2, 0x6E, 0x6F, 0, 0, 0, 0])
    }

    @Test func statusCodesMatchTheDraft() {
        let codes: [SFTPStatusCode: UInt32] = [
            .ok: 0, .eof: 1, .noSuchFile: 2, .permissionDenied: 3, .failure: 4, .badMessage: 5,
            .noConnection: 6, .connectionLost: 7, .opUnsupported: 8,
        ]
        for (code, value) in codes { #expect(code.rawValue == value) }
        #expect(SFTPStatusCode.allCases.count == codes.count)
    }

    @Test func handleAndDataEncodeAsStrings() {
        #expect(SFTPResponse.handle(id: 1, handle: [0, 0, 0, 4]).encode() == packet([102] + u32(1) + str([0, 0, 0, 4])))
        #expect(SFTPResponse.data(id: 2, data: [9, 8, 7]).encode() == packet([103] + u32(2) + str([9, 8, 7])))
    }

    @Test func nameEncodesCountEntriesAndAttributes() {
        let entries = [
            SFTPNameEntry(filename: "/", longname: "/", attributes: .empty),
            SFTPNameEntry(filename: "ops", longname: "drwxr-xr-x 1 a a 0 Jan 1 00:00 ops", attributes: SFTPAttributes(permissions: 0o40755)),
        ]
        let expected = packet([104] + u32(3) + u32(2) + str("/") + str("/") + u32(0)
            + str("ops") + str("drwxr-xr-x 1 a a 0 Jan 1 00:00 ops") + u32(4) + u32(0o40755))
        #expect(SFTPResponse.name(id: 3, entries: entries).encode() == expected)
    }

    @Test func attrsEncode() {
        let bytes = SFTPResponse.attrs(id: 4, attributes: SFTPAttributes(size: 10, permissions: 0o100644)).encode()
        #expect(bytes == packet([105] + u32(4) + u32(5) + u64(10) + u32(0o100644)))
    }

    @Test func limitsReplyMatchesOpenSSHLayout() {
        let limits = SFTPLimits.matchingFramer(maxOpenHandles: 1024)
        #expect(limits.maxPacketLength == 262_144)
        #expect(limits.maxReadLength == 261_120)
        #expect(limits.maxWriteLength == 261_120)
        #expect(SFTPResponse.limits(id: 6, limits).encode()
            == packet([201] + u32(6) + u64(262_144) + u64(261_120) + u64(261_120) + u64(1024)))
    }

    @Test func encodedResponsesFrameBackIntoTheirPayload() throws {
        var framer = SFTPFramer()
        let response = SFTPResponse.data(id: 1, data: Array(repeating: 0xAB, count: 70_000))
        framer.append(response.encode())
        let payload = try #require(try framer.nextPacket())
        #expect(payload.count == 1 + 4 + 4 + 70_000)
        #expect(payload.first == 103)
    }

    // MARK: - Framer

    @Test func framerReturnsWholePacketsWithoutLengthPrefix() throws {
        var framer = SFTPFramer()
        framer.append(packet([1] + u32(3)) + packet([16] + u32(1) + str(".")))
        #expect(try framer.nextPacket() == [1] + u32(3))
        #expect(try framer.nextPacket() == [16] + u32(1) + str("."))
        #expect(try framer.nextPacket() == nil)
        #expect(framer.bufferedByteCount == 0)
    }

    @Test func framerWaitsForTheRestOfAPacket() throws {
        var framer = SFTPFramer()
        let bytes = packet([17] + u32(1) + str("ops"))
        framer.append(Array(bytes[..<3]))
        #expect(try framer.nextPacket() == nil)
        framer.append(Array(bytes[3 ..< 10]))
        #expect(try framer.nextPacket() == nil)
        framer.append(Array(bytes[10...]))
        #expect(try framer.nextPacket() == [17] + u32(1) + str("ops"))
    }

    @Test func framerSplitsAcrossArbitraryChunkBoundaries() throws {
        var generator = SeededGenerator(state: 7)
        var stream: [UInt8] = []
        var expected: [[UInt8]] = []
        for index in 0 ..< 200 {
            let dataLength = Int.random(in: 0 ... 40_000, using: &generator)
            let data = (0 ..< dataLength).map { UInt8(truncatingIfNeeded: $0 &+ index) }
            let payload = [6] + u32(UInt32(index)) + str([1, 2, 3, 4]) + u64(UInt64(index) * 32768) + str(data)
            expected.append(payload)
            stream += packet(payload)
        }
        for round in 0 ..< 5 {
            var framer = SFTPFramer()
            var received: [[UInt8]] = []
            var offset = 0
            while offset < stream.count {
                let maxChunk = round == 0 ? 1 : [7, 4096, 32768, 300_000][round - 1]
                let chunk = min(stream.count - offset, Int.random(in: 1 ... maxChunk, using: &generator))
                framer.append(Array(stream[offset ..< offset + chunk]))
                offset += chunk
                while let payload = try framer.nextPacket() { received.append(payload) }
                if round == 0 && offset > 50_000 { break }
            }
            if round == 0 {
                #expect(received == Array(expected.prefix(received.count)))
            } else {
                #expect(received == expected)
                #expect(framer.bufferedByteCount == 0)
            }
        }
    }

    @Test func framerDecodesWritesFromAStream() throws {
        var framer = SFTPFramer()
        let data = Array(repeating: UInt8(0x5A), count: 261_120)
        let payload = [6] + u32(1) + str([0, 0, 0, 1]) + u64(0) + str(data)
        framer.append(packet(payload) + packet(payload))
        for _ in 0 ..< 2 {
            let next = try #require(try framer.nextPacket())
            #expect(try SFTPRequest.decode(next) == .write(id: 1, handle: [0, 0, 0, 1], offset: 0, data: data))
        }
    }

    @Test func packetOfExactlyTheLimitIsAccepted() throws {
        var framer = SFTPFramer()
        let payload = [6] + Array(repeating: UInt8(0), count: SFTPFramer.maxPacketLength - 1)
        framer.append(packet(payload))
        #expect(try framer.nextPacket()?.count == SFTPFramer.maxPacketLength)
    }

    @Test func oversizePacketIsRefusedFromItsHeaderAlone() {
        var framer = SFTPFramer()
        // Only the 4 length bytes have arrived: the framer must refuse now,
        // not wait to buffer 256 KiB + 1.
        framer.append(u32(262_145))
        #expect(throws: SFTPError.packetTooLarge(262_145)) { try framer.nextPacket() }
        #expect(framer.bufferedByteCount == 0)
    }

    @Test func hugeDeclaredLengthIsRefusedAndNothingMoreIsBuffered() {
        var framer = SFTPFramer()
        framer.append(u32(0xFFFF_FFFF) + [6, 0, 0])
        #expect(framer.bufferedByteCount == 0)
        framer.append(Array(repeating: 0, count: 100_000))
        #expect(framer.bufferedByteCount == 0)
        #expect(throws: SFTPError.packetTooLarge(0xFFFF_FFFF)) { try framer.nextPacket() }
        // The error sticks: the stream cannot be resynchronised.
        #expect(throws: SFTPError.packetTooLarge(0xFFFF_FFFF)) { try framer.nextPacket() }
    }

    @Test func oversizePacketAfterAValidOneIsRefused() throws {
        var framer = SFTPFramer()
        framer.append(packet([1] + u32(3)) + u32(300_000) + [6])
        #expect(try framer.nextPacket() == [1] + u32(3))
        #expect(throws: SFTPError.packetTooLarge(300_000)) { try framer.nextPacket() }
    }

    @Test func zeroLengthPacketIsRefused() {
        var framer = SFTPFramer()
        framer.append(u32(0) + [1, 0, 0, 0, 3])
        #expect(throws: SFTPError.emptyPacket) { try framer.nextPacket() }
    }

    @Test func framerAcceptsRawBufferPointers() throws {
        var framer = SFTPFramer()
        let bytes = packet([4] + u32(2) + str([5]))
        bytes.withUnsafeBytes { framer.append($0) }
        #expect(try framer.nextPacket() == [4] + u32(2) + str([5]))
    }

    @Test func errorDescriptionsAreSentences() {
        #expect(SFTPError.packetTooLarge(300_000).description.contains("262144"))
        #expect(SFTPError.truncated("path").description.contains("path"))
        #expect(SFTPError.emptyPacket.description.contains("length 0"))
        #expect(SFTPError.invalidUTF8("extension name").description.contains("UTF-8"))
    }

    // MARK: - Random input

    @Test func randomBytesNeverCrashTheFramerOrDecoder() {
        var generator = SeededGenerator(state: 0x5EED)
        for _ in 0 ..< 3000 {
            var framer = SFTPFramer()
            let length = Int.random(in: 0 ... 600, using: &generator)
            var bytes = (0 ..< length).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
            // Bias towards plausible headers so the decoder, not only the
            // framer's length check, sees the random bodies.
            if bytes.count >= 5, Bool.random(using: &generator) {
                let bodyLength = UInt32(bytes.count - 4)
                bytes.replaceSubrange(0 ..< 4, with: u32(bodyLength))
                bytes[4] = [1, 3, 4, 5, 6, 9, 14, 17, 18, 20, 200, 42].randomElement(using: &generator) ?? 1
            }
            framer.append(bytes)
            while true {
                do {
                    guard let payload = try framer.nextPacket() else { break }
                    _ = try? SFTPRequest.decode(payload)
                } catch {
                    break
                }
            }
        }
    }

    @Test func randomPayloadsAfterValidTypeBytesNeverCrashTheDecoder() {
        var generator = SeededGenerator(state: 99)
        for type in SFTPPacketType.allCases.map(\.rawValue) + [0, 21, 255] {
            for _ in 0 ..< 400 {
                let length = Int.random(in: 0 ... 64, using: &generator)
                let body = (0 ..< length).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
                var payload = [type] + body
                // Small lengths make the strings inside plausible, not always huge.
                for index in stride(from: 5, to: payload.count, by: 9) where index + 3 < payload.count {
                    payload[index] = 0
                    payload[index + 1] = 0
                }
                do {
                    _ = try SFTPRequest.decode(payload)
                } catch {
                    #expect(!error.description.isEmpty)
                }
            }
        }
    }
}
