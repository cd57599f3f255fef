/// The exec request `fetch ID FIRST LAST`: send the raw bytes of pieces
/// `FIRST` through `LAST` (inclusive) of batch `ID`'s archive; or
/// `pieces ID FIRST LAST`: send those pieces' SHA-256 hashes, 32 raw bytes
/// each, in order (for an offer that left its piece list out), at most
/// ``maxHashesPerRequest`` of them.
///
/// The words are parsed strictly, since they choose what a server reads
/// from disk: plain ASCII decimal digits only (no sign, no spaces, no hex),
/// a positive batch number, and piece indices below 2^31 with
/// `first <= last`. Whether the pieces exist and the caller may have them
/// is the server's check, against the offer.
public struct FetchRequest: Sendable, Equatable {
    /// What is sent for the pieces, named by the command's first word.
    public enum Content: String, Sendable {
        /// The archive's bytes: `fetch`.
        case bytes = "fetch"
        /// The pieces' hashes: `pieces`.
        case hashes = "pieces"
    }

    /// The most hashes one `pieces` request asks for: 2 MiB of them, so a
    /// server holds little for one request.
    public static let maxHashesPerRequest = 1 << 16

    /// What is sent.
    public var content: Content
    /// The batch whose archive is read.
    public var batch: Int64
    /// Index of the first piece sent.
    public var first: Int
    /// Index of the last piece sent, included.
    public var last: Int

    /// Piece indices are below this, so a range always fits in 32 bits.
    static let pieceLimit: Int64 = 1 << 31

    /// Creates a request for pieces `first...last` of `batch`.
    public init(batch: Int64, first: Int, last: Int, content: Content = .bytes) {
        self.content = content
        self.batch = batch
        self.first = first
        self.last = last
    }

    /// Parses exec words ["fetch", "42", "0", "9"] or ["pieces", "42", "0", "9"]; first <= last,
    /// non-negative, decimal only, at most 2^31 pieces, and at most ``maxHashesPerRequest`` hashes.
    public static func parse(arguments: [String]) throws(ProtocolError) -> FetchRequest {
        guard let word = arguments.first, let content = Content(rawValue: word) else {
            throw .badCommand("the command is not fetch or pieces")
        }
        guard arguments.count == 4 else {
            throw .badCommand("\(word) takes 3 arguments, not \(arguments.count - 1)")
        }
        let batch = try number(arguments[1], field: "batch", in: word, atMost: Int64.max)
        guard batch > 0 else { throw .badField(type: word, field: "batch", reason: "must be at least 1") }
        let first = try number(arguments[2], field: "first", in: word, atMost: pieceLimit - 1)
        let last = try number(arguments[3], field: "last", in: word, atMost: pieceLimit - 1)
        guard first <= last else {
            throw .badField(type: word, field: "last", reason: "\(last) is before first piece \(first)")
        }
        if content == .hashes, last - first >= Int64(maxHashesPerRequest) {
            throw .badField(type: word, field: "last", reason: "asks for more than \(maxHashesPerRequest) hashes at once")
        }
        return FetchRequest(batch: batch, first: Int(first), last: Int(last), content: content)
    }

    /// The exec command that asks for this request: `fetch 42 0 9`.
    public var commandLine: String { "\(content.rawValue) \(batch) \(first) \(last)" }

    private static func number(_ word: String, field: String, in command: String,
                               atMost limit: Int64) throws(ProtocolError) -> Int64 {
        let shown = word.prefix(24)
        guard !word.isEmpty, word.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw .badField(type: command, field: field, reason: "'\(shown)' is not a decimal number")
        }
        guard let value = Int64(word), value <= limit else {
            throw .badField(type: command, field: field, reason: "'\(shown)' is too large")
        }
        return value
    }
}
