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
    /// Server to subscriber: where to fetch an accepted batch from, best
    /// first, and which peers may fetch it from this target.
    case plan(Plan)
    /// Subscriber to server: this target's peer listener now lets in the
    /// named peers for the batch (the grants of its newest plan). No plan
    /// names a target as another's source before it said so.
    case granted(batch: Int64, users: [String])
    /// Subscriber to server: a measurement of the link from one source to
    /// this target, which the planner ranks sources by.
    case sample(LinkSampleReport)
    /// Subscriber to server: this target stopped fetching the batch from
    /// `source` (a peer that stalled, was too slow, refused it or served a
    /// bad piece), and why; the server plans without that source for it.
    case dropped(batch: Int64, source: String, reason: String)
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
        case .plan: return "plan"
        case .granted: return "granted"
        case .sample: return "sample"
        case .dropped: return "dropped"
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
            // Left out rather than null when absent, so a hello without a
            // listener is the same bytes as before relays existed.
            if let listen = hello.listen { members["listen"] = .string(listen) }
            if let hostKey = hello.hostKey { members["host_key"] = .string(hostKey) }
        case .offer(let offer):
            members["batch"] = .integer(offer.batch)
            members["topic"] = offer.topic.map(JSONValue.string) ?? .null
            members["destination"] = .string(offer.destination)
            members["source"] = .string(offer.source)
            members["name"] = .string(offer.name)
            members["files"] = .array(offer.files.map { file in
                .object(["path": .string(file.path), "size": .integer(file.size)])
            })
            // Left out when every file is listed: the same bytes as before.
            if let count = offer.fileCount { members["file_count"] = .integer(Int64(count)) }
            members["size"] = .integer(offer.size)
            members["sha256"] = .string(offer.sha256)
            members["piece_size"] = .integer(Int64(offer.pieceSize))
            members["pieces"] = .array(offer.pieces.map(JSONValue.string))
            // Only in an offer that left its list out: the same bytes as before otherwise.
            if let listDigest = offer.pieceListSHA256 { members["piece_list_sha256"] = .string(listDigest) }
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
        case .plan(let plan):
            members["batch"] = .integer(plan.batch)
            members["sources"] = .array(plan.sources.map { source in
                .object([
                    "name": .string(source.name),
                    "address": source.address.map(JSONValue.string) ?? .null,
                    "host_key": source.hostKey.map(JSONValue.string) ?? .null,
                ])
            })
            members["grants"] = .array(plan.grants.map { grant in
                .object(["user": .string(grant.user), "keys": .array(grant.keys.map(JSONValue.string))])
            })
        case .granted(let batch, let users):
            members["batch"] = .integer(batch)
            members["users"] = .array(users.map(JSONValue.string))
        case .sample(let sample):
            members["batch"] = .integer(sample.batch)
            members["source"] = .string(sample.source)
            members["bytes"] = .integer(sample.bytes)
            members["seconds"] = .number(sample.seconds)
            members["rtt_ms"] = sample.rttMs.map(JSONValue.number) ?? .null
        case .dropped(let batch, let source, let reason):
            members["batch"] = .integer(batch)
            members["source"] = .string(source)
            members["reason"] = .string(reason)
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
            return .hello(try decodeHello(fields))
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
        case "plan":
            return .plan(try decodePlan(fields))
        case "granted":
            return .granted(batch: try fields.batch(), users: try decodeUsers(fields))
        case "sample":
            return .sample(LinkSampleReport(
                batch: try fields.batch(),
                source: try fields.userName("source"),
                bytes: try fields.integer("bytes", atLeast: 0),
                seconds: try fields.nonNegativeNumber("seconds"),
                rttMs: try fields.optionalNonNegativeNumber("rtt_ms")))
        case "dropped":
            return .dropped(batch: try fields.batch(), source: try fields.userName("source"),
                            reason: try fields.text("reason", allowEmpty: true))
        case "keepalive":
            return .keepalive
        case "error":
            return .error(message: try fields.text("message", allowEmpty: false))
        default:
            return .unknown(type: type)
        }
    }

    private static func decodeHello(_ fields: MessageFields) throws(ProtocolError) -> Hello {
        let user = try fields.userName("user")
        let software = try fields.text("software", allowEmpty: false)
        let listen = try fields.optionalString("listen")
        let hostKey = try fields.optionalString("host_key")
        // The server repeats both to other targets, who must be able to pin
        // the listener: an address without a key, or a key without an
        // address, is refused rather than half used.
        switch (listen, hostKey) {
        case (let listen?, let hostKey?):
            try fields.checkAddress(listen, field: "listen", allowWildcard: true)
            try fields.checkPublicKey(hostKey, field: "host_key")
        case (.some, nil):
            throw fields.invalid("host_key", "must be given with listen, so peers can pin the listener")
        case (nil, .some):
            throw fields.invalid("listen", "must be given with host_key")
        case (nil, nil):
            break
        }
        return Hello(user: user, software: software, listen: listen, hostKey: hostKey)
    }

    private static func decodeUsers(_ fields: MessageFields) throws(ProtocolError) -> [String] {
        let values = try fields.array("users")
        guard values.count <= Plan.maxEntries else {
            throw fields.invalid("users", "has \(values.count) entries, more than \(Plan.maxEntries)")
        }
        var users: [String] = []
        for (index, value) in values.enumerated() {
            guard case .string(let user) = value else {
                throw fields.invalid("users[\(index)]", "must be a string, not \(value.kind)")
            }
            try fields.checkName(user, field: "users[\(index)]")
            users.append(user)
        }
        return users
    }

    private static func decodePlan(_ fields: MessageFields) throws(ProtocolError) -> Plan {
        let batch = try fields.batch()
        let sourceValues = try fields.array("sources")
        guard !sourceValues.isEmpty else { throw fields.invalid("sources", "must name at least one source") }
        guard sourceValues.count <= Plan.maxEntries else {
            throw fields.invalid("sources", "has \(sourceValues.count) entries, more than \(Plan.maxEntries)")
        }
        var sources: [PlanSource] = []
        var sourceNames: Set<String> = []
        for (index, element) in sourceValues.enumerated() {
            let entry = try fields.nested("sources", index: index, element)
            let name = try entry.userName("name")
            guard sourceNames.insert(name).inserted else {
                throw entry.invalid("name", "'\(name)' is listed twice")
            }
            let address = try entry.optionalString("address")
            let hostKey = try entry.optionalString("host_key")
            if name == PlanSource.serverName {
                // The subscriber reaches the server over its own connection,
                // whose host key it already pinned.
                guard address == nil else { throw entry.invalid("address", "must be null for the server") }
                guard hostKey == nil else { throw entry.invalid("host_key", "must be null for the server") }
            } else {
                guard let address else { throw entry.invalid("address", "is needed to reach peer '\(name)'") }
                guard let hostKey else { throw entry.invalid("host_key", "is needed to pin peer '\(name)'") }
                try entry.checkAddress(address, field: "address", allowWildcard: false)
                try entry.checkPublicKey(hostKey, field: "host_key")
            }
            sources.append(PlanSource(name: name, address: address, hostKey: hostKey))
        }
        let grantValues = try fields.array("grants")
        guard grantValues.count <= Plan.maxEntries else {
            throw fields.invalid("grants", "has \(grantValues.count) entries, more than \(Plan.maxEntries)")
        }
        var grants: [PeerGrant] = []
        var grantUsers: Set<String> = []
        for (index, element) in grantValues.enumerated() {
            let entry = try fields.nested("grants", index: index, element)
            let user = try entry.userName("user")
            guard grantUsers.insert(user).inserted else {
                throw entry.invalid("user", "'\(user)' is listed twice")
            }
            let keyValues = try entry.array("keys")
            guard keyValues.count <= Plan.maxEntries else {
                throw entry.invalid("keys", "has \(keyValues.count) entries, more than \(Plan.maxEntries)")
            }
            var keys: [String] = []
            for (keyIndex, keyValue) in keyValues.enumerated() {
                guard case .string(let key) = keyValue else {
                    throw entry.invalid("keys[\(keyIndex)]", "must be a string, not \(keyValue.kind)")
                }
                try entry.checkPublicKey(key, field: "keys[\(keyIndex)]")
                keys.append(key)
            }
            grants.append(PeerGrant(user: user, keys: keys))
        }
        return Plan(batch: batch, sources: sources, grants: grants)
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
        var fileCount: Int?
        if let found = fields.members["file_count"], found != .null {
            let count = try fields.integer("file_count", atLeast: Int64(files.count))
            fileCount = Int(clamping: count)
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
        guard expected <= Int64(Offer.maxPieceCount) else {
            throw fields.invalid("size", "\(size) bytes in pieces of \(pieceSize) make \(expected) pieces, more than \(Offer.maxPieceCount)")
        }
        var listDigest: String?
        if let found = fields.members["piece_list_sha256"], found != .null {
            listDigest = try fields.digest("piece_list_sha256")
            guard pieces.isEmpty else { throw fields.invalid("pieces", "must be empty when piece_list_sha256 is given") }
        } else if Int64(pieces.count) != expected {
            throw fields.invalid(
                "pieces",
                "has \(pieces.count) hashes, but \(size) bytes in pieces of \(pieceSize) make \(expected)")
        }
        return Offer(
            batch: batch, topic: topic, destination: destination, source: source, name: name,
            files: files, fileCount: fileCount, size: size, sha256: sha256, pieceSize: Int(pieceSize), pieces: pieces,
            pieceCount: Int(expected), pieceListSHA256: listDigest)
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
