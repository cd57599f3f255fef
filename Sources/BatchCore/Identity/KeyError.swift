/// Why a public key was refused. Descriptions name the problem and what to
/// use instead, because an admin reads them when adding a user's key.
public indirect enum KeyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The line holds no key (blank or a comment).
    case empty
    /// authorized_keys options (`from=`, `command=`, …) precede the key.
    case optionsNotSupported(String)
    /// A key type OpenSSH knows but batchd does not accept; carries the
    /// type and why.
    case unsupportedType(String, reason: String)
    /// The first word is not a key type at all.
    case unknownType(String)
    /// The type is not followed by the base64 key.
    case missingKeyData
    /// The key data is not valid base64.
    case badBase64
    /// The decoded key is not a well-formed key of its type.
    case malformedKey(String)
    /// The key's own type differs from the one written before it.
    case typeMismatch(declared: String, embedded: String)
    /// An RSA modulus below 2048 bits.
    case rsaTooSmall(bits: Int)
    /// A problem on a line of an authorized_keys file.
    case onLine(Int, KeyError)

    public var description: String {
        switch self {
        case .empty:
            return "no key found; expected 'TYPE BASE64 [COMMENT]' as in a .pub file"
        case .optionsNotSupported(let options):
            return "key options ('\(options.prefix(40))') are not supported; remove everything before the key type"
        case .unsupportedType(let type, let reason):
            return "\(type) keys are not accepted: \(reason); use an ed25519, ecdsa or rsa (2048 bits or more) key"
        case .unknownType(let word):
            return "'\(word.prefix(40))' is not an SSH key type; expected ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa"
        case .missingKeyData:
            return "the key type is not followed by the base64 key data"
        case .badBase64:
            return "the key data is not valid base64; copy the whole line from the .pub file"
        case .malformedKey(let reason):
            return "the key data is malformed: \(reason)"
        case .typeMismatch(let declared, let embedded):
            return "the line says \(declared) but the key data holds a \(embedded) key"
        case .rsaTooSmall(let bits):
            return "RSA key of \(bits) bits is too small; RSA keys need at least 2048 bits (ed25519 is preferred)"
        case .onLine(let line, let error):
            return "line \(line): \(error)"
        }
    }
}
