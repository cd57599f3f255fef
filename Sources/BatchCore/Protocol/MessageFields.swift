/// The members of one decoded message object, read field by field with
/// errors that name the message type and the field.
///
/// Unknown members are ignored, so a newer peer may add fields to a
/// version 1 message without breaking older ones.
struct MessageFields {
    /// The message's `"type"`, used in every error.
    let type: String
    let members: [String: JSONValue]
    /// Put before field names in errors: `files[2].` inside an offer.
    var prefix = ""

    private func value(_ field: String) throws(ProtocolError) -> JSONValue {
        guard let value = members[field] else { throw .missingField(type: type, field: prefix + field) }
        return value
    }

    /// The error for `field` (under this object's prefix) and why.
    func invalid(_ field: String, _ reason: String) -> ProtocolError {
        .badField(type: type, field: prefix + field, reason: reason)
    }

    /// A required integer.
    func integer(_ field: String) throws(ProtocolError) -> Int64 {
        let found = try value(field)
        guard case .integer(let number) = found else {
            throw invalid(field, "must be an integer, not \(found.kind)")
        }
        return number
    }

    /// A required integer of at least `minimum`.
    func integer(_ field: String, atLeast minimum: Int64) throws(ProtocolError) -> Int64 {
        let number = try integer(field)
        guard number >= minimum else { throw invalid(field, "must be at least \(minimum), not \(number)") }
        return number
    }

    /// A required batch number, which is positive.
    func batch() throws(ProtocolError) -> Int64 {
        try integer("batch", atLeast: 1)
    }

    /// A required string.
    func string(_ field: String) throws(ProtocolError) -> String {
        let found = try value(field)
        guard case .string(let text) = found else {
            throw invalid(field, "must be a string, not \(found.kind)")
        }
        return text
    }

    /// A string that may be absent or null.
    func optionalString(_ field: String) throws(ProtocolError) -> String? {
        guard let found = members[field], found != .null else { return nil }
        guard case .string(let text) = found else {
            throw invalid(field, "must be a string or null, not \(found.kind)")
        }
        return text
    }

    /// A required free-text field (a reason, a software name) of at most
    /// ``SubscriptionMessage/maxTextLength`` UTF-8 bytes.
    func text(_ field: String, allowEmpty: Bool) throws(ProtocolError) -> String {
        let text = try string(field)
        try checkText(text, field: field, allowEmpty: allowEmpty)
        return text
    }

    func checkText(_ text: String, field: String, allowEmpty: Bool) throws(ProtocolError) {
        if !allowEmpty && text.isEmpty { throw invalid(field, "must not be empty") }
        let length = text.utf8.count
        guard length <= SubscriptionMessage.maxTextLength else {
            throw invalid(field, "is \(length) bytes, more than \(SubscriptionMessage.maxTextLength)")
        }
    }

    /// A required user name (letters, digits, `.`, `_`, `-`, at most 64
    /// bytes), as batchctl accepts them.
    func userName(_ field: String) throws(ProtocolError) -> String {
        let name = try string(field)
        try checkName(name, field: field)
        return name
    }

    func checkName(_ name: String, field: String) throws(ProtocolError) {
        guard Destination.isValidName(name) else {
            throw invalid(field, "'\(name.prefix(64))' is not a name of 1 to 64 letters, digits, '.', '_' or '-'")
        }
    }

    /// A required finite number of at least 0; an integer counts as one.
    func nonNegativeNumber(_ field: String) throws(ProtocolError) -> Double {
        try checkNonNegative(try value(field), field: field)
    }

    /// A finite number of at least 0 that may be absent or null.
    func optionalNonNegativeNumber(_ field: String) throws(ProtocolError) -> Double? {
        guard let found = members[field], found != .null else { return nil }
        return try checkNonNegative(found, field: field)
    }

    private func checkNonNegative(_ found: JSONValue, field: String) throws(ProtocolError) -> Double {
        let number: Double
        switch found {
        case .integer(let whole): number = Double(whole)
        case .number(let fraction): number = fraction
        default: throw invalid(field, "must be a number, not \(found.kind)")
        }
        guard number.isFinite, number >= 0 else { throw invalid(field, "must be at least 0, not \(number)") }
        return number
    }

    /// Checks a peer listener's `HOST:PORT`. The port is never 0; the host
    /// is `*` only where `allowWildcard` says the server fills it in.
    func checkAddress(_ text: String, field: String, allowWildcard: Bool) throws(ProtocolError) {
        let shown = text.prefix(64)
        let address: HostPort
        do {
            address = try HostPort(parsing: text)
        } catch {
            throw invalid(field, "'\(shown)' is not HOST:PORT such as 198.18.0.3:2300 or [2001:db8::3]:2300")
        }
        guard address.port > 0 else { throw invalid(field, "'\(shown)' has port 0, which no peer can connect to") }
        guard allowWildcard || !address.isWildcard else {
            throw invalid(field, "'\(shown)' names no host a peer can connect to")
        }
    }

    /// Checks a public key written `TYPE BASE64`, exactly as OpenSSH writes
    /// it and without a comment, so that two copies of one key are the same
    /// text wherever they are compared.
    func checkPublicKey(_ text: String, field: String) throws(ProtocolError) {
        let key: AuthorizedKey
        do {
            key = try AuthorizedKey(line: text)
        } catch {
            throw invalid(field, "is not a usable public key: \(error)")
        }
        guard text == "\(key.type.rawValue) \(key.base64)" else {
            throw invalid(field, "must be TYPE BASE64 with one space and no comment")
        }
    }

    /// A required lowercase hex SHA-256 digest.
    func digest(_ field: String) throws(ProtocolError) -> String {
        let hash = try string(field)
        try checkDigest(hash, field: field)
        return hash
    }

    func checkDigest(_ hash: String, field: String) throws(ProtocolError) {
        guard MessageFields.isDigest(hash) else {
            throw invalid(field, "must be a SHA-256 as 64 lowercase hex digits")
        }
    }

    /// Whether `text` is exactly 64 lowercase hex digits.
    static func isDigest(_ text: String) -> Bool {
        let bytes = text.utf8
        return bytes.count == 64 && bytes.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// A required array.
    func array(_ field: String) throws(ProtocolError) -> [JSONValue] {
        let found = try value(field)
        guard case .array(let elements) = found else {
            throw invalid(field, "must be an array, not \(found.kind)")
        }
        return elements
    }

    /// A required object.
    func object(_ field: String) throws(ProtocolError) -> [String: JSONValue] {
        let found = try value(field)
        guard case .object(let members) = found else {
            throw invalid(field, "must be an object, not \(found.kind)")
        }
        return members
    }

    /// The fields of the object at `field[index]`, whose errors name it as
    /// `field[index].member`.
    func nested(_ field: String, index: Int, _ element: JSONValue) throws(ProtocolError) -> MessageFields {
        guard case .object(let members) = element else {
            throw invalid("\(field)[\(index)]", "must be an object, not \(element.kind)")
        }
        return MessageFields(type: type, members: members, prefix: "\(prefix)\(field)[\(index)].")
    }
}
