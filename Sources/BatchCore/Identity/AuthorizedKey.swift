import Foundation

/// One public key as written in an authorized_keys file or a `.pub` file:
/// `TYPE BASE64 [COMMENT]`.
///
/// Parsing checks what OpenSSH would check before trusting the key for a
/// login: the base64 decodes, the key's embedded type equals the written
/// one, the key material has the right shape for its type, and RSA moduli
/// have at least 2048 bits. Options before the type (`from=`, `command=`)
/// are refused rather than ignored, since batchd would not enforce them.
public struct AuthorizedKey: Sendable, Hashable {
    /// Largest key blob accepted, as OpenSSH's `SSH_MAX_PUBKEY_BYTES`.
    static let maxBlobLength = 16384
    /// Smallest RSA modulus accepted, in bits.
    public static let minimumRSABits = 2048

    /// The key algorithm.
    public let type: SSHKeyType
    /// The decoded key blob, the bytes SSH puts on the wire.
    public let blob: [UInt8]
    /// The comment after the key, trimmed; empty when there is none.
    public let comment: String
    /// Key size in bits: 256 for ed25519, the curve size for ecdsa, the
    /// modulus size for rsa.
    public let bits: Int

    /// The blob in canonical base64, as OpenSSH writes it.
    public var base64: String { Data(blob).base64EncodedString() }

    /// The key as one authorized_keys line.
    public var line: String {
        comment.isEmpty ? "\(type.rawValue) \(base64)" : "\(type.rawValue) \(base64) \(comment)"
    }

    /// Parses one line.
    public init(line: String) throws(KeyError) {
        var words = Words(line)
        guard let first = words.next(), !first.hasPrefix("#") else { throw .empty }
        guard let type = SSHKeyType(rawValue: first) else {
            if let reason = SSHKeyType.refusal(for: first) { throw .unsupportedType(first, reason: reason) }
            // `from="…" ssh-ed25519 AAAA…`: a known type later on the line
            // means the first words are options.
            var options = [first]
            while let word = words.next() {
                if SSHKeyType(rawValue: word) != nil || SSHKeyType.refusal(for: word) != nil {
                    throw .optionsNotSupported(options.joined(separator: " "))
                }
                options.append(word)
            }
            throw .unknownType(first)
        }
        guard let encoded = words.next() else { throw .missingKeyData }
        guard encoded.utf8.count <= (Self.maxBlobLength + 2) / 3 * 4 else {
            throw .malformedKey("it is longer than \(Self.maxBlobLength) bytes")
        }
        guard let data = Data(base64Encoded: encoded) else { throw .badBase64 }
        let blob = [UInt8](data)
        self.type = type
        self.blob = blob
        self.bits = try Self.checkBlob(blob, declared: type)
        self.comment = words.remainder()
    }

    /// Parses an authorized_keys file, skipping blank lines and `#`
    /// comments. A bad line is reported with its line number.
    public static func parseFile(_ text: String) throws(KeyError) -> [AuthorizedKey] {
        var keys: [AuthorizedKey] = []
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            do {
                keys.append(try AuthorizedKey(line: line))
            } catch {
                throw .onLine(index + 1, error)
            }
        }
        return keys
    }

    /// Checks the blob's structure for `declared` and returns the key size
    /// in bits.
    private static func checkBlob(_ blob: [UInt8], declared: SSHKeyType) throws(KeyError) -> Int {
        var reader = KeyBlobReader(blob)
        let embedded = String(decoding: try reader.string("key type"), as: UTF8.self)
        guard embedded == declared.rawValue else { throw .typeMismatch(declared: declared.rawValue, embedded: embedded) }
        let bits: Int
        switch declared {
        case .ed25519:
            guard try reader.string("ed25519 key").count == 32 else { throw .malformedKey("an ed25519 key is 32 bytes") }
            bits = 256
        case .ecdsaP256, .ecdsaP384, .ecdsaP521:
            let (curve, pointLength, curveBits) = switch declared {
            case .ecdsaP256: ("nistp256", 65, 256)
            case .ecdsaP384: ("nistp384", 97, 384)
            default: ("nistp521", 133, 521)
            }
            let identifier = String(decoding: try reader.string("curve name"), as: UTF8.self)
            guard identifier == curve else { throw .malformedKey("curve \(identifier) does not match \(declared.rawValue)") }
            let point = try reader.string("curve point")
            guard point.count == pointLength, point.first == 0x04 else {
                throw .malformedKey("the \(curve) point is not an uncompressed point of \(pointLength) bytes")
            }
            bits = curveBits
        case .rsa:
            let exponent = try reader.positiveInteger("RSA exponent")
            guard exponent.last.map({ $0 & 1 == 1 }) ?? false, exponent != [1] else {
                throw .malformedKey("the RSA exponent must be an odd number above 1")
            }
            let modulus = try reader.positiveInteger("RSA modulus")
            bits = modulus.isEmpty ? 0 : modulus.count * 8 - modulus[0].leadingZeroBitCount
            guard bits >= minimumRSABits else { throw .rsaTooSmall(bits: bits) }
            guard bits <= 16384 else { throw .malformedKey("the RSA modulus is larger than 16384 bits") }
        }
        guard reader.isAtEnd else { throw .malformedKey("unexpected bytes after the key") }
        return bits
    }
}

/// Reads SSH wire `string`s and `mpint`s from a key blob (RFC 4251,
/// section 5), refusing lengths that point past its end.
private struct KeyBlobReader {
    private let bytes: [UInt8]
    private var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { index == bytes.count }

    mutating func string(_ field: String) throws(KeyError) -> [UInt8] {
        guard bytes.count - index >= 4 else { throw .malformedKey("it ends inside the \(field)") }
        let length = bytes[index ..< index + 4].reduce(0) { $0 << 8 | Int($1) }
        index += 4
        guard bytes.count - index >= length else { throw .malformedKey("it ends inside the \(field)") }
        defer { index += length }
        return Array(bytes[index ..< index + length])
    }

    /// An mpint that must be positive, without its leading zero bytes.
    mutating func positiveInteger(_ field: String) throws(KeyError) -> [UInt8] {
        let raw = try string(field)
        guard let first = raw.first, first & 0x80 == 0 else { throw .malformedKey("the \(field) is not a positive number") }
        return Array(raw.drop { $0 == 0 })
    }
}

/// Splits an authorized_keys line into space- or tab-separated words,
/// remembering where it is so the comment keeps its inner spacing.
private struct Words {
    private let scalars: [Unicode.Scalar]
    private var index = 0

    init(_ line: String) { scalars = Array(line.unicodeScalars) }

    private static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t" || scalar == "\r" || scalar == "\n"
    }

    mutating func next() -> String? {
        while index < scalars.count, Self.isSpace(scalars[index]) { index += 1 }
        guard index < scalars.count else { return nil }
        let start = index
        while index < scalars.count, !Self.isSpace(scalars[index]) { index += 1 }
        return String(String.UnicodeScalarView(scalars[start ..< index]))
    }

    /// Everything after the current word, trimmed.
    func remainder() -> String {
        String(String.UnicodeScalarView(scalars[index...])).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
