import BatchCore
import Crypto
import Foundation
import SSHKit

/// Fetches the piece list an offer left out, from the server, with
/// `pieces ID FIRST LAST` requests of at most
/// ``FetchRequest/maxHashesPerRequest`` hashes each, and checks the whole
/// list against the offer's `pieceListSHA256` before anything uses it.
enum PieceListFetch {
    /// Attempts before the delivery fails; a dropped connection is retried.
    static let attempts = 3

    /// `offer` with every piece's hash, fetched over sessions made with
    /// `client` when the offer did not carry them.
    static func complete(_ offer: Offer, client: SSHClientConfiguration) throws(ReceiverError) -> Offer {
        guard !offer.piecesListed else { return offer }
        guard let expected = offer.pieceListSHA256 else {
            throw .protocolViolation("batch \(offer.batch)'s offer has neither its piece list nor the list's SHA-256")
        }
        var lastError = ""
        for attempt in 1 ... attempts {
            do {
                let bytes = try fetch(offer, client: client)
                let digest = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
                guard digest == expected, let hashes = PieceListBytes.decode(bytes), hashes.count == offer.pieceCount else {
                    throw ReceiverError.fetchFailed(batch: offer.batch, reason:
                        "the server's piece list does not match the offer's piece_list_sha256 (\(expected)); it was not used")
                }
                return offer.listing(hashes)
            } catch let error as ReceiverError {
                throw error
            } catch {
                lastError = "\(error)"
                if attempt < attempts { Thread.sleep(forTimeInterval: 0.5 * Double(attempt)) }
            }
        }
        throw .fetchFailed(batch: offer.batch, reason: "its piece list could not be fetched: \(lastError)")
    }

    /// The raw hashes of every piece, in order.
    private static func fetch(_ offer: Offer, client: SSHClientConfiguration) throws(SSHKitError) -> [UInt8] {
        let session = try SSHClientSession(configuration: client)
        defer { session.close() }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(offer.pieceCount * PieceListBytes.hashLength)
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 << 10, alignment: 1)
        defer { chunk.deallocate() }
        var first = 0
        while first < offer.pieceCount {
            let last = min(first + FetchRequest.maxHashesPerRequest, offer.pieceCount) - 1
            let request = FetchRequest(batch: offer.batch, first: first, last: last, content: .hashes)
            let channel = try session.exec(request.commandLine)
            defer { channel.close() }
            let end = (last + 1) * PieceListBytes.hashLength
            var position: Int { bytes.count }
            while position < end {
                let wanted = UnsafeMutableRawBufferPointer(rebasing: chunk[0 ..< min(chunk.count, end - position)])
                guard let count = try channel.read(into: wanted, timeout: 90) else { break }
                if count == 0 { throw .channel("no piece hashes from the server for 90 seconds") }
                bytes.append(contentsOf: wanted[0 ..< count])
            }
            guard position == end else {
                let said = channel.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
                throw .channel("the server sent \(position - first * PieceListBytes.hashLength) of \(end - first * PieceListBytes.hashLength) bytes of piece hashes"
                    + (said.isEmpty ? "" : ": \(TerminalText.escaped(said))"))
            }
            first = last + 1
        }
        return bytes
    }
}
