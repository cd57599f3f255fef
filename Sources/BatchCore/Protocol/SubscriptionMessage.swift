/// A message on the long-lived `subscribe` exec channel between `batchd` and
/// a target's subscriber, as batchd-protocol(7) documents it.
///
/// On the wire each message is a frame: a 4-byte big-endian length, then a
/// UTF-8 JSON object with `"v": 1`, a `"type"` and the type's fields in
/// snake_case. Encoding sorts object keys, so a message always has the same
/// bytes. Decoding checks every field and throws a ``ProtocolError`` that
/// names it; it never traps on hostile input.
public enum SubscriptionMessage: Sendable, Equatable {
    /// Both directions, first message: who this side is.
    case hello(Hello)
    /// Server to subscriber: a sealed batch this target may take.
    case offer(Offer)
    /// Subscriber to server: the target wants the batch and will fetch it.
    case accept(batch: Int64)
    /// Subscriber to server: the target does not want the batch; the source
    /// sees the reason.
    case decline(batch: Int64, reason: String)
    /// Subscriber to server: `bytes` of `total` verified so far, the latest
    /// from `source` (`server` or a peer target's user name).
    case progress(batch: Int64, bytes: Int64, total: Int64, source: String)
    /// Subscriber to server: the archive is in the inbox, its SHA-256
    /// checked; `receivedFrom` maps each source name to the bytes it gave.
    case delivered(batch: Int64, receivedFrom: [String: Int64])
    /// Subscriber to server: the target gave up on the batch.
    case failed(batch: Int64, reason: String)
    /// Server to subscriber: the batch was purged or expired; stop fetching
    /// it and forget the offer.
    case withdrawn(batch: Int64, reason: String)
    /// Both directions: sent after 30 seconds of silence so either side can
    /// tell a live connection from a dead one.
    case keepalive
    /// Server to subscriber: the subscriber's last message was refused, and
    /// why.
    case error(message: String)
    /// A version 1 message type this version does not know. Receivers
    /// ignore it, so later versions can add types without breaking older
    /// peers.
    case unknown(type: String)

    /// The longest reason, error message or software name accepted, in
    /// UTF-8 bytes. Senders shorten longer text before sending it.
    public static let maxTextLength = 1024

    /// The protocol version this code speaks, the `"v"` of every message.
    public static let version = 1

    /// The message's `"type"` on the wire.
    public var typeName: String {
        switch self {
        case .hello: return "hello"
        case .offer: return "offer"
        case .accept: return "accept"
        case .decline: return "decline"
        case .progress: return "progress"
        case .delivered: return "delivered"
        case .failed: return "failed"
        case .withdrawn: return "withdrawn"
        case .keepalive: return "keepalive"
        case .error: return "error"
        case .unknown(let type): return type
        }
    }

    /// Whole frame: 4-byte big-endian length then the UTF-8 JSON object.
    ///
    /// Values are written as they are, without validation; a sender that
    /// builds messages from its own checked state gets frames the other
    /// side accepts.
    public func encodeFrame() -> [UInt8] {
        let payload = encodePayload()
        let length = UInt32(truncatingIfNeeded: payload.count)
        return [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
            + payload
    }

    /// The JSON object alone, without the length prefix.
    func encodePayload() -> [UInt8] {
        var members: [String: JSONValue] = [
            "v": .integer(Int64(SubscriptionMessage.version)),
            "type": .string(typeName),
        ]
        switch self {
        case .hello(let hello):
            members["user"] = .string(hello.user)
            members["software"] = .string(hello.software)
        case .offer(let offer):
            members["batch"] = .integer(offer.batch)
            members["topic"] = offer.topic.map(JSONValue.string) ?? .null
            members["destination"] = .string(offer.destination)
            members["source"] = .string(offer.source)
            members["name"] = .string(offer.name)
            members["files"] = .array(offer.files.map { file in
                .object(["path": .string(file.path), "size": .integer(file.size)])
            })
            members["size"] = .integer(offer.size)
            members["sha256"] = .string(offer.sha256)
            members["piece_size"] = .integer(Int64(offer.pieceSize))
            members["pieces"] = .array(offer.pieces.map(JSONValue.string))
        case .accept(let batch):
            members["batch"] = .integer(batch)
        case .decline(let batch, let reason), .failed(let batch, let reason), .withdrawn(let batch, let reason):
            members["batch"] = .integer(batch)
            members["reason"] = .string(reason)
        case .progress(let batch, let bytes, let total, let source):
            members["batch"] = .integer(batch)
            members["bytes"] = .integer(bytes)
            members["total"] = .integer(total)
            members["source"] = .string(source)
        case .delivered(let batch, let receivedFrom):
            members["batch"] = .integer(batch)
            members["received_from"] = .object(receivedFrom.mapValues(JSONValue.integer))
        case .error(let message):
            members["message"] = .string(message)
        case .keepalive, .unknown:
            break
        }
        return JSONWriter.bytes(.object(members))
    }

    /// Decodes one frame's JSON payload.
    public static func decode(payload: [UInt8]) throws(ProtocolError) -> SubscriptionMessage {
        let parsed = try JSONValue.parse(payload)
        guard case .object(let members) = parsed else {
            throw .badJSON("the payload is \(parsed.kind), not an object")
        }
        // The version is checked before the type: a message of another
        // version may give its types other meanings.
        guard case .integer(let version)? = members["v"] else { throw .unsupportedVersion(0) }
        guard version == Int64(SubscriptionMessage.version) else {
            throw .unsupportedVersion(Int(clamping: version))
        }
        guard let typeValue = members["type"] else { throw .missingField(type: "message", field: "type") }
        guard case .string(let type) = typeValue, (1...64).contains(type.utf8.count) else {
            throw .badField(type: "message", field: "type", reason: "must be a string of 1 to 64 bytes")
        }
        let fields = MessageFields(type: type, members: members)
        switch type {
        case "hello":
            return .hello(Hello(
                user: try fields.userName("user"),
                software: try fields.text("software", allowEmpty: false)))
        case "offer":
            return .offer(try decodeOffer(fields))
        case "accept":
            return .accept(batch: try fields.batch())
        case "decline":
            return .decline(batch: try fields.batch(), reason: try fields.text("reason", allowEmpty: true))
        case "progress":
            return .progress(
                batch: try fields.batch(),
                bytes: try fields.integer("bytes", atLeast: 0),
                total: try fields.integer("total", atLeast: 0),
                source: try fields.userName("source"))
        case "delivered":
            return .delivered(batch: try fields.batch(), receivedFrom: try decodeReceivedFrom(fields))
        case "failed":
            return .failed(batch: try fields.batch(), reason: try fields.text("reason", allowEmpty: true))
        case "withdrawn":
            return .withdrawn(batch: try fields.batch(), reason: try fields.text("reason", allowEmpty: true))
        case "keepalive":
            return .keepalive
        case "error":
            return .error(message: try fields.text("message", allowEmpty: false))
        default:
            return .unknown(type: type)
        }
    }

    private static func decodeOffer(_ fields: MessageFields) throws(ProtocolError) -> Offer {
        let batch = try fields.batch()
        let topic = try fields.optionalString("topic")
        if let topic { try fields.checkName(topic, field: "topic") }
        let destination = try fields.string("destination")
        do {
            _ = try Destination(component: destination)
        } catch {
            throw fields.invalid("destination", "'\(destination.prefix(64))' is not a topic or @user list")
        }
        let source = try fields.userName("source")
        let name = try fields.string("name")
        // The receiver builds an inbox file name from it, so it must be a
        // plain name: a topic, or from-<source> for an @user drop.
        let plainName = name.hasPrefix("from-") ? String(name.dropFirst(5)) : name
        guard Destination.isValidName(plainName) else {
            throw fields.invalid("name", "'\(name.prefix(64))' is not a topic name or from-<user>")
        }
        var files: [OfferFile] = []
        for (index, element) in try fields.array("files").enumerated() {
            let file = try fields.nested("files", index: index, element)
            let path = try file.string("path")
            if path.isEmpty { throw file.invalid("path", "must not be empty") }
            files.append(OfferFile(path: path, size: try file.integer("size", atLeast: 0)))
        }
        let size = try fields.integer("size", atLeast: 0)
        let sha256 = try fields.digest("sha256")
        let pieceSize = try fields.integer("piece_size")
        let limits = Offer.pieceSizeLimits
        guard pieceSize >= Int64(limits.lowerBound), pieceSize <= Int64(limits.upperBound) else {
            throw fields.invalid("piece_size", "\(pieceSize) is outside \(limits.lowerBound)...\(limits.upperBound)")
        }
        var pieces: [String] = []
        for (index, element) in try fields.array("pieces").enumerated() {
            guard case .string(let hash) = element else {
                throw fields.invalid("pieces[\(index)]", "must be a string, not \(element.kind)")
            }
            try fields.checkDigest(hash, field: "pieces[\(index)]")
            pieces.append(hash)
        }
        let expected = Offer.expectedPieceCount(size: size, pieceSize: Int(pieceSize))
        guard Int64(pieces.count) == expected else {
            throw fields.invalid(
                "pieces",
                "has \(pieces.count) hashes, but \(size) bytes in pieces of \(pieceSize) make \(expected)")
        }
        return Offer(
            batch: batch, topic: topic, destination: destination, source: source, name: name,
            files: files, size: size, sha256: sha256, pieceSize: Int(pieceSize), pieces: pieces)
    }

    private static func decodeReceivedFrom(_ fields: MessageFields) throws(ProtocolError) -> [String: Int64] {
        var receivedFrom: [String: Int64] = [:]
        for (name, value) in try fields.object("received_from") {
            try fields.checkName(name, field: "received_from")
            guard case .integer(let bytes) = value, bytes >= 0 else {
                throw fields.invalid("received_from", "bytes from '\(name)' must be a non-negative integer")
            }
            receivedFrom[name] = bytes
        }
        return receivedFrom
    }
}
