import Testing
@testable import BatchCore

/// Reads a NUL-terminated ASCII field.
private func field(_ block: ArraySlice<UInt8>, _ offset: Int, _ width: Int) -> String {
    let start = block.startIndex + offset
    let bytes = block[start..<(start + width)].prefix { $0 != 0 }
    return String(decoding: bytes, as: UTF8.self)
}

private func octal(_ value: UInt64, digits: Int) -> String {
    let text = String(value, radix: 8)
    return String(repeating: "0", count: digits - text.count) + text
}

/// Checks the stored checksum: the byte sum with the checksum field as spaces.
private func checksumIsValid(_ block: ArraySlice<UInt8>) -> Bool {
    var copy = Array(block)
    let stored = field(block, 148, 8).trimmingSpaces()
    for index in 148..<156 { copy[index] = UInt8(ascii: " ") }
    let sum = copy.reduce(0) { $0 + UInt64($1) }
    return stored == octal(sum, digits: 6)
}

private extension String {
    func trimmingSpaces() -> String {
        String(self.filter { $0 != " " })
    }
}

/// The `(length, key, value)` triples of a pax extended header's data.
private func parsePax(_ data: ArraySlice<UInt8>) -> [(length: Int, key: String, value: String, actual: Int)] {
    var records: [(Int, String, String, Int)] = []
    var rest = data[...]
    while let first = rest.first, first != 0 {
        let space = rest.firstIndex(of: UInt8(ascii: " "))!
        let length = Int(String(decoding: rest[rest.startIndex..<space], as: UTF8.self))!
        let record = rest[rest.startIndex..<(rest.startIndex + length)]
        let body = record[(space + 1)..<(record.endIndex - 1)]
        let equals = body.firstIndex(of: UInt8(ascii: "="))!
        records.append((
            length,
            String(decoding: body[body.startIndex..<equals], as: UTF8.self),
            String(decoding: body[(equals + 1)...], as: UTF8.self),
            record.count
        ))
        rest = rest[record.endIndex...]
    }
    return records
}

struct TarHeaderTests {
    @Test func plainFileHeaderHasTheUstarLayout() {
        let mtime: Int64 = 1_700_000_000
        let bytes = TarHeader(path: "a.txt", kind: .regularFile, size: 5, mode: 0o644, mtime: mtime).encode()
        #expect(bytes.count == 512)
        let block = bytes[...]
        #expect(field(block, 0, 100) == "a.txt")
        #expect(Array(bytes[100..<108]) == Array("0000644\0".utf8))
        #expect(Array(bytes[108..<116]) == Array("0000000\0".utf8))
        #expect(Array(bytes[116..<124]) == Array("0000000\0".utf8))
        #expect(Array(bytes[124..<136]) == Array("00000000005\0".utf8))
        #expect(Array(bytes[136..<148]) == Array((octal(UInt64(mtime), digits: 11) + "\0").utf8))
        #expect(bytes[156] == UInt8(ascii: "0"))
        #expect(Array(bytes[257..<265]) == Array("ustar\0".utf8) + Array("00".utf8))
        #expect(field(block, 265, 32) == "")
        #expect(field(block, 297, 32) == "")
        #expect(field(block, 345, 155) == "")
        #expect(bytes[500..<512].allSatisfy { $0 == 0 })
    }

    @Test func checksumIsSixOctalDigitsNulSpaceOfTheByteSum() {
        let bytes = TarHeader(path: "dir/file.bin", kind: .regularFile, size: 1234, mode: 0o600, mtime: 42).encode()
        #expect(bytes[154] == 0)
        #expect(bytes[155] == UInt8(ascii: " "))
        #expect(checksumIsValid(bytes[...]))
    }

    @Test func directoryIsTypeFiveWithTrailingSlashAndNoSize() {
        let bytes = TarHeader(path: "nightly/build", kind: .directory, size: 99, mode: 0o755, mtime: 0).encode()
        #expect(bytes.count == 512)
        #expect(field(bytes[...], 0, 100) == "nightly/build/")
        #expect(bytes[156] == UInt8(ascii: "5"))
        #expect(Array(bytes[124..<136]) == Array("00000000000\0".utf8))
        #expect(checksumIsValid(bytes[...]))
    }

    @Test func modeKeepsOnlyPermissionBits() {
        let bytes = TarHeader(path: "x", kind: .regularFile, mode: 0o100755, mtime: 0).encode()
        #expect(Array(bytes[100..<108]) == Array("0000755\0".utf8))
    }

    @Test func setuidSetgidAndStickyNeverReachAnArchive() {
        for mode: UInt32 in [0o4755, 0o2755, 0o1777, 0o7777] {
            let bytes = TarHeader(path: "x", kind: .regularFile, mode: mode, mtime: 0).encode()
            let stored = String(decoding: bytes[100..<107], as: UTF8.self)
            #expect(UInt32(stored, radix: 8) == mode & 0o777, "mode \(String(mode, radix: 8)) stored as \(stored)")
        }
    }

    @Test func longAsciiPathSplitsIntoPrefixAndNameWithoutPax() {
        let directory = String(repeating: "d", count: 120)
        let name = String(repeating: "n", count: 90)
        let header = TarHeader(path: directory + "/" + name, kind: .regularFile, size: 1, mode: 0o644, mtime: 1)
        #expect(header.paxRecords.isEmpty)
        let bytes = header.encode()
        #expect(bytes.count == 512)
        #expect(field(bytes[...], 0, 100) == name)
        #expect(field(bytes[...], 345, 155) == directory)
    }

    @Test func splitUsesTheShortestPrefixThatLetsTheNameFit() {
        let path = "a/" + String(repeating: "b", count: 60) + "/" + String(repeating: "c", count: 60)
        let fields = UstarName.split(path)
        #expect(fields.map { String(decoding: $0.prefix, as: UTF8.self) } == "a/" + String(repeating: "b", count: 60))
    }

    @Test func nameOfExactly100BytesNeedsNoPrefix() {
        let path = String(repeating: "x", count: 100)
        let bytes = TarHeader(path: path, kind: .regularFile, mode: 0o644, mtime: 0).encode()
        #expect(bytes.count == 512)
        #expect(Array(bytes[0..<100]) == Array(path.utf8))
    }

    @Test func pathWithoutAFittingSplitGetsAPaxPathRecord() throws {
        let path = "deep/" + String(repeating: "n", count: 300)
        let header = TarHeader(path: path, kind: .regularFile, size: 7, mode: 0o644, mtime: 5)
        #expect(header.paxRecords == [PaxRecord(key: "path", value: path)])
        let bytes = header.encode()
        // pax header block, its data (one block), then the ustar block.
        #expect(bytes.count == 3 * 512)
        #expect(bytes[156] == UInt8(ascii: "x"))
        #expect(checksumIsValid(bytes[0..<512]))
        let dataSize = Int(field(bytes[...], 124, 12), radix: 8)!
        let records = parsePax(bytes[512..<(512 + dataSize)])
        #expect(records.count == 1)
        let record = try #require(records.first)
        #expect(record.key == "path")
        #expect(record.value == path)
        #expect(record.length == record.actual)
        #expect(dataSize == record.actual)
        let ustar = bytes[1024..<1536]
        #expect(ustar[ustar.startIndex + 156] == UInt8(ascii: "0"))
        #expect(checksumIsValid(ustar))
    }

    @Test func prefixLongerThan155BytesGetsAPaxPathRecord() {
        let path = String(repeating: "p", count: 160) + "/name"
        #expect(TarHeader(path: path, kind: .regularFile, mode: 0o644, mtime: 0).paxRecords.map(\.key) == ["path"])
    }

    @Test func nonAsciiPathGetsAPaxRecordAndAnAsciiStandIn() {
        let path = "données/été.txt"
        let header = TarHeader(path: path, kind: .regularFile, size: 3, mode: 0o644, mtime: 9)
        #expect(header.paxRecords == [PaxRecord(key: "path", value: path)])
        let bytes = header.encode()
        let records = parsePax(bytes[512..<1024])
        #expect(records.map(\.value) == [path])
        let standIn = Array(bytes[1024..<1124].prefix { $0 != 0 })
        #expect(standIn.allSatisfy { $0 < 0x80 })
    }

    @Test func sizeOfEightGibibytesNeedsAPaxSizeRecord() {
        let largest = TarHeader(path: "big", kind: .regularFile, size: (1 << 33) - 1, mode: 0o644, mtime: 0)
        #expect(largest.paxRecords.isEmpty)
        #expect(Array(largest.encode()[124..<136]) == Array("77777777777\0".utf8))

        let tooBig = TarHeader(path: "big", kind: .regularFile, size: 1 << 33, mode: 0o644, mtime: 0)
        #expect(tooBig.paxRecords == [PaxRecord(key: "size", value: "8589934592")])
    }

    @Test func mtimeBefore1970OrPast2242NeedsAPaxMtimeRecord() {
        let before = TarHeader(path: "old", kind: .regularFile, mode: 0o644, mtime: -1)
        #expect(before.paxRecords == [PaxRecord(key: "mtime", value: "-1")])
        let after = TarHeader(path: "new", kind: .regularFile, mode: 0o644, mtime: Int64(TarHeader.maxOctalField) + 1)
        #expect(after.paxRecords == [PaxRecord(key: "mtime", value: "8589934592")])
        let bytes = before.encode()
        #expect(Array(bytes[1024 + 136..<1024 + 148]) == Array("00000000000\0".utf8))
    }

    @Test func paxRecordLengthCountsItsOwnDigits() {
        // "9 k=vvvv\n": 7 payload bytes, one digit, one space.
        #expect(PaxRecord.length(payloadCount: 7) == 9)
        // One more payload byte would make 10, but "10" has two digits: 11.
        #expect(PaxRecord.length(payloadCount: 8) == 11)
        #expect(PaxRecord.length(payloadCount: 96) == 99)
        // 98 + 2 digits = 100, which has three digits: 101.
        #expect(PaxRecord.length(payloadCount: 97) == 101)
        #expect(PaxRecord.length(payloadCount: 995) == 999)
        #expect(PaxRecord.length(payloadCount: 996) == 1001)
        #expect(PaxRecord(key: "k", value: "vvvv").encode() == Array("9 k=vvvv\n".utf8))
        #expect(PaxRecord(key: "k", value: "vvvvv").encode() == Array("11 k=vvvvv\n".utf8))
    }

    @Test func everyPaxRecordStatesItsExactLength() {
        for count in 0..<1200 {
            let record = PaxRecord(key: "path", value: String(repeating: "é", count: count / 2) + String(repeating: "a", count: count % 2))
            let bytes = record.encode()
            let parsed = parsePax(bytes[...])
            #expect(parsed.count == 1 && parsed[0].length == bytes.count && parsed[0].value == record.value)
        }
    }

    @Test func endOfArchiveIsTwoZeroBlocksAndPaddingFillsTheLastBlock() {
        #expect(TarBlock.endOfArchive == [UInt8](repeating: 0, count: 1024))
        #expect(TarBlock.paddingCount(after: 0) == 0)
        #expect(TarBlock.paddingCount(after: 1) == 511)
        #expect(TarBlock.paddingCount(after: 512) == 0)
        #expect(TarBlock.paddingCount(after: 513) == 511)
        #expect(TarBlock.paddingCount(after: (1 << 33) + 100) == 412)
    }
}
