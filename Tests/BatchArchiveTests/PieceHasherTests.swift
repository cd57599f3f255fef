import BatchArchive
import Foundation
import Testing

struct PieceHasherTests {
    @Test func piecesSplitAtExactBoundariesWhateverTheFeedSizes() throws {
        let data = try randomBytes(10_000)
        let pieceSize = 1000
        for feed in [1, 7, 999, 1000, 1001, 4096, 10_000] {
            var hasher = PieceHasher(pieceSize: pieceSize)
            data.withUnsafeBytes { (all: UnsafeRawBufferPointer) in
                for start in stride(from: 0, to: all.count, by: feed) {
                    hasher.update(UnsafeRawBufferPointer(rebasing: all[start..<min(start + feed, all.count)]))
                }
            }
            let digests = hasher.finalize()
            #expect(hasher.byteCount == 10_000)
            #expect(digests.pieces.count == 10)
            #expect(digests.pieces == stride(from: 0, to: 10_000, by: pieceSize).map { sha256Hex(data[$0..<($0 + pieceSize)]) })
            #expect(digests.sha256 == sha256Hex(data))
        }
    }

    @Test func lastPieceIsShorter() throws {
        let data = try randomBytes(2500)
        var hasher = PieceHasher(pieceSize: 1000)
        data.withUnsafeBytes { hasher.update($0) }
        let digests = hasher.finalize()
        #expect(digests.pieces.count == 3)
        #expect(digests.pieces.last == sha256Hex(data[2000..<2500]))
    }

    @Test func digestsAreLowercaseHex() {
        var hasher = PieceHasher(pieceSize: 4)
        Array("abc".utf8).withUnsafeBytes { hasher.update($0) }
        let digests = hasher.finalize()
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        let expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        #expect(digests.sha256 == expected)
        #expect(digests.pieces == [expected])
    }
}
