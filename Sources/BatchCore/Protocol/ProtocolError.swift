/// Why bytes or words from the other side of a subscription or fetch
/// channel were refused. Framing errors (``frameTooLarge(_:)``,
/// ``emptyFrame``) mean the stream is out of step and the channel must be
/// closed; the others concern one message, which the receiver answers with
/// an `error` message (the server) or logs (a subscriber) and then ignores.
public enum ProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A frame declared a length above ``SubscriptionFramer/maxFrameLength``.
    case frameTooLarge(Int)
    /// A frame declared a length of zero, which cannot hold a JSON object.
    case emptyFrame
    /// The frame's payload is not a UTF-8 JSON object; the text says why.
    case badJSON(String)
    /// The message's `"v"` is not 1; 0 stands for a missing or non-integer
    /// version.
    case unsupportedVersion(Int)
    /// A message of the named type lacks a field it must carry. The type
    /// is `message` for fields every message has (`type`).
    case missingField(type: String, field: String)
    /// A field is present but its type or value is not allowed. The type
    /// is `message` for fields every message has, `fetch` for the words of
    /// a fetch request.
    case badField(type: String, field: String, reason: String)
    /// The words of a `fetch` exec request are not `fetch ID FIRST LAST`.
    case badCommand(String)

    public var description: String {
        switch self {
        case .frameTooLarge(let length):
            return "protocol frame of \(length) bytes is larger than the \(SubscriptionFramer.maxFrameLength)-byte limit; "
                + "the peer is not speaking the batchd protocol or sent an oversized message"
        case .emptyFrame:
            return "protocol frame of length 0 holds no message; the peer is not speaking the batchd protocol"
        case .badJSON(let why):
            return "protocol message is not a JSON object: \(why)"
        case .unsupportedVersion(0):
            return "protocol message has no \"v\": 1 version field; this side speaks version 1 only"
        case .unsupportedVersion(let version):
            return "protocol message has version \(version); this side speaks version 1 only, upgrade the older side"
        case .missingField(let type, let field):
            return "\(Self.subject(type)) lacks its \"\(field)\" field"
        case .badField("fetch", let field, let reason):
            return "bad \(field) in fetch request: \(reason); the command is: fetch ID FIRST LAST"
        case .badField(let type, let field, let reason):
            return "\(Self.subject(type)) has a bad \"\(field)\" field: \(reason)"
        case .badCommand(let why):
            return "bad fetch request: \(why); the command is: fetch ID FIRST LAST"
        }
    }

    private static func subject(_ type: String) -> String {
        type == "message" ? "protocol message" : "\(type) message"
    }
}
