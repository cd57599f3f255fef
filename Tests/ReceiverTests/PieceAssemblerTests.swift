import BatchCore
import Crypto
import Foundation
import Testing
@testable import BatchReceiver

/// Pieces are kept only when their hash matches the offer's, wherever the
/// stream's chunk boundaries fall.
@Suite struct PieceAssemblerTests {
    private let pieceSize = 64 << 10

    private func makeOffer(_ data: [UInt8]) -> Offer {
        var pieces: [String] = []
        var offset = 0
        while offset < data.count {
            let end = min(offset + pieceSize, data.count)
            pieces.append(SHA256.hash(data: data[offset ..< end]).hexString)
            offset = end
        }
        return Offer(batch: 7, topic: "ops", destination: "ops", source: "alice", name: "ops",
                     files: [OfferFile(path: "a", size: Int64(data.count))], size: Int64(data.count),
                     sha256: SHA256.hash(data: data).hexString, pieceSize: pieceSize, pieces: pieces)
    }

    private func temporaryFile() throws -> (String, Int32) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("assembler-\(UUID().uuidString)").path
        let fd = open(path, O_RDWR | O_CREAT, 0o600)
        try #require(fd >= 0)
        return (path, fd)
    }

    private func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0 ..< count).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
    }

    @Test(arguments: [1, 1000, 65536, 100_000])
    func streamInAnyChunkSizeAssemblesTheArchive(chunk: Int) throws {
        let data = randomBytes(pieceSize * 3 + 1234)
        let offer = makeOffer(data)
        let (path, fd) = try temporaryFile()
        defer { close(fd); unlink(path) }
        var assembler = PieceAssembler(store: PieceStore(offer: offer, descriptor: dup(fd), held: []))
        assembler.begin(at: 0)
        var kept: Int64 = 0
        var offset = 0
        while offset < data.count {
            let end = min(offset + chunk, data.count)
            kept += try data[offset ..< end].withUnsafeBytes { try assembler.feed($0) }
            offset = end
        }
        // Pieces are checked in the background; finish waits for the last.
        kept += assembler.finish()
        #expect(kept == Int64(data.count))
        #expect(assembler.have == [0, 1, 2, 3])
        #expect(assembler.rejected.isEmpty)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(data))
    }

    @Test func wholeDigestIsKeptAsPiecesArriveIncludingResumedOnes() throws {
        let data = randomBytes(pieceSize * 3 + 77)
        let offer = makeOffer(data)
        let (path, fd) = try temporaryFile()
        defer { close(fd); unlink(path) }
        // Pieces 0 and 1 were held from an earlier attempt.
        _ = data.withUnsafeBytes { pwrite(fd, $0.baseAddress, pieceSize * 2, 0) }
        var assembler = PieceAssembler(store: PieceStore(offer: offer, descriptor: dup(fd), held: [0, 1]))
        #expect(assembler.wholeDigest() == nil)
        assembler.begin(at: 2)
        _ = try data[(pieceSize * 2)...].withUnsafeBytes { try assembler.feed($0) }
        #expect(assembler.wholeDigest() == offer.sha256)
    }

    @Test func corruptedPieceIsRejectedAndNotWritten() throws {
        let data = randomBytes(pieceSize * 2)
        let offer = makeOffer(data)
        var served = data
        served[pieceSize + 10] ^= 0xFF
        let (path, fd) = try temporaryFile()
        defer { close(fd); unlink(path) }
        var assembler = PieceAssembler(store: PieceStore(offer: offer, descriptor: dup(fd), held: []))
        assembler.begin(at: 0)
        let kept = try served.withUnsafeBytes { try assembler.feed($0) } + assembler.finish()
        #expect(kept == Int64(pieceSize))
        #expect(assembler.have == [0])
        #expect(assembler.rejected == [1])
    }

    @Test func uncheckedPiecesAreCheckedOnlyWhenTheWholeDigestFails() throws {
        let data = randomBytes(pieceSize * 3 + 500)
        let offer = makeOffer(data)
        var served = data
        served[pieceSize * 2 + 3] ^= 0x01
        let (path, fd) = try temporaryFile()
        defer { close(fd); unlink(path) }
        var assembler = PieceAssembler(store: PieceStore(offer: offer, descriptor: dup(fd), held: []))
        assembler.trustsSource = true
        assembler.begin(at: 0)
        let kept = try served.withUnsafeBytes { try assembler.feed($0) } + assembler.finish()
        // Taken on the source's word: every piece kept, none refused.
        #expect(kept == Int64(data.count))
        #expect(assembler.have == [0, 1, 2, 3])
        #expect(assembler.rejected.isEmpty)
        #expect(assembler.wholeDigest() != offer.sha256)
        // Checked one by one: only the bad piece goes.
        #expect(assembler.recheck() == [2])
        #expect(assembler.have == [0, 1, 3])
        assembler.trustsSource = false
        assembler.begin(at: 2)
        _ = try data[(pieceSize * 2) ..< (pieceSize * 3)].withUnsafeBytes { try assembler.feed($0) }
        _ = assembler.finish()
        #expect(assembler.have == [0, 1, 2, 3])
        #expect(assembler.wholeDigest() == offer.sha256)
        #expect(assembler.recheck() == [])
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(data))
    }

    @Test func bytesBeyondTheLastPieceAreAProtocolViolation() throws {
        let data = randomBytes(1000)
        let offer = makeOffer(data)
        let (path, fd) = try temporaryFile()
        defer { close(fd); unlink(path) }
        var assembler = PieceAssembler(store: PieceStore(offer: offer, descriptor: dup(fd), held: []))
        assembler.begin(at: 0)
        let tooMuch = data + [1, 2, 3]
        #expect(throws: ReceiverError.self) { try tooMuch.withUnsafeBytes { try assembler.feed($0) } }
    }

    @Test func resumeFindsOnlyTheVerifiedPieces() throws {
        let data = randomBytes(pieceSize * 3)
        let offer = makeOffer(data)
        let (path, fd) = try temporaryFile()
        defer { close(fd); unlink(path) }
        var partial = data
        for i in pieceSize ..< pieceSize * 2 { partial[i] = 0 }
        _ = partial.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        #expect(PieceAssembler.verifiedPieces(of: offer, descriptor: fd) == [0, 2])
    }

    @Test func missingPiecesGroupIntoContiguousRuns() {
        #expect(DeliveryJob.runs(missing: [0, 1, 2, 5, 6, 9]) == [0 ... 2, 5 ... 6, 9 ... 9])
        #expect(DeliveryJob.runs(missing: []) == [])
    }

    @Test func inboxNamesAreSafeFileNames() {
        let inbox = Inbox(directory: "/in", stateDirectory: "/in/.batchd-recv")
        var offer = makeOffer([1, 2, 3])
        #expect(inbox.archivePath(of: offer) == "/in/7-ops.tar.gz")
        offer.name = "../../etc/passwd"
        #expect(inbox.stem(of: offer) == "7-_.._etc_passwd")
        #expect(!inbox.archivePath(of: offer).dropFirst(4).contains("/"))
    }
}

/// The verifier keeps up with a reader that outruns it by making it wait;
/// a write that fails reaches the reader.
@Suite struct PieceVerifierTests {
    @Test func aStreamFarLongerThanTheQueueIsAllKeptInOrder() throws {
        let pieceSize = 4096
        var generator = SystemRandomNumberGenerator()
        let data = (0 ..< pieceSize * 64 + 5).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
        let pieces = stride(from: 0, to: data.count, by: pieceSize).map {
            SHA256.hash(data: data[$0 ..< min($0 + pieceSize, data.count)]).hexString
        }
        let offer = Offer(batch: 9, topic: "ops", destination: "ops", source: "alice", name: "ops",
                          files: [OfferFile(path: "a", size: Int64(data.count))], size: Int64(data.count),
                          sha256: SHA256.hash(data: data).hexString, pieceSize: pieceSize, pieces: pieces)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("verifier-\(UUID().uuidString)").path
        let fd = open(path, O_RDWR | O_CREAT, 0o600)
        try #require(fd >= 0)
        defer { close(fd); unlink(path) }
        var assembler = PieceAssembler(store: PieceStore(offer: offer, descriptor: dup(fd), held: []))
        assembler.begin(at: 0)
        var kept = try data.withUnsafeBytes { try assembler.feed($0) }
        kept += assembler.finish()
        #expect(kept == Int64(data.count))
        #expect(assembler.have.count == pieces.count)
        #expect(assembler.wholeDigest() == offer.sha256)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(data))
    }

    @Test func aFailedWriteIsThrownToTheReader() throws {
        let data = [UInt8](repeating: 7, count: 100)
        let offer = Offer(batch: 9, topic: "ops", destination: "ops", source: "alice", name: "ops",
                          files: [OfferFile(path: "a", size: 100)], size: 100, sha256: SHA256.hash(data: data).hexString,
                          pieceSize: 100, pieces: [SHA256.hash(data: data).hexString])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("verifier-\(UUID().uuidString)").path
        let readOnly = open(path, O_RDONLY | O_CREAT, 0o600)
        try #require(readOnly >= 0)
        defer { unlink(path) }
        var assembler = PieceAssembler(store: PieceStore(offer: offer, descriptor: readOnly, held: []))
        assembler.begin(at: 0)
        // The reader writes each read as it comes, so it meets the error.
        #expect(throws: ReceiverError.self) {
            _ = try data.withUnsafeBytes { try assembler.feed($0) }
        }
        _ = assembler.finish()
        #expect(assembler.have.isEmpty)
    }
}
