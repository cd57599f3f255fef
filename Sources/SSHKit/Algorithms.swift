/// The algorithms the server offers and can be told to offer. The defaults
/// are pinned so that `ssh-audit` finds no failure: no NIST-curve key
/// exchange, no SHA-1. The MACs add plain `hmac-sha2-256`/`-512`
/// (encrypt-and-MAC, which ssh-audit warns about and OpenSSH's own defaults
/// also offer) after the encrypt-then-MAC ones, for libssh2 before 1.11
/// (curl, PHP's ssh2, many appliances), which knows no other; every OpenSSH
/// client picks an AEAD cipher or an -etm MAC first.
public enum Algorithms {
    /// One list the server negotiates, as batchd.conf(5) names it.
    public enum Kind: String, Sendable, CaseIterable {
        case keyExchange = "KexAlgorithms"
        case ciphers = "Ciphers"
        case macs = "MACs"
        case hostKeys = "HostKeyAlgorithms"

        /// What the server offers unless the config says otherwise.
        public var defaults: [String] {
            switch self {
            case .keyExchange:
                return ["curve25519-sha256", "curve25519-sha256@libssh.org", "diffie-hellman-group16-sha512",
                        "diffie-hellman-group18-sha512"]
            case .ciphers:
                return ["chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com",
                        "aes256-ctr", "aes192-ctr", "aes128-ctr"]
            case .macs:
                return ["hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-sha2-256", "hmac-sha2-512"]
            case .hostKeys:
                return ["ssh-ed25519", "rsa-sha2-512", "rsa-sha2-256"]
            }
        }

        /// What libssh can negotiate for the server and the config may name.
        public var supported: [String] {
            switch self {
            case .keyExchange:
                return defaults + ["ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521",
                                   "diffie-hellman-group14-sha256", "diffie-hellman-group14-sha1"]
            case .ciphers:
                return defaults + ["aes256-cbc", "aes192-cbc", "aes128-cbc"]
            case .macs:
                return defaults + ["hmac-sha1-etm@openssh.com", "hmac-sha1"]
            case .hostKeys:
                return defaults + ["ssh-rsa"]
            }
        }
    }

    /// Whether host key algorithm `name` signs with an RSA key.
    public static func isRSA(_ name: String) -> Bool {
        name.hasPrefix("rsa-") || name == "ssh-rsa"
    }

    public static let keyExchange = Kind.keyExchange.defaults.joined(separator: ",")
    public static let ciphers = Kind.ciphers.defaults.joined(separator: ",")
    /// Only encrypt-then-MAC for batchd's own client (batchd-recv): both
    /// ends are ours.
    public static let macs = ["hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com"].joined(separator: ",")
    /// batchd-recv pins ed25519 host keys only.
    public static let hostKeys = "ssh-ed25519"

    /// No transport compression, whatever the client asks: archives are
    /// compressed already and uploads are compressed by batchd itself, so
    /// zlib would only cost CPU and about 100 KB of zlib state per
    /// connection (libssh offers zlib@openssh.com by default, and clients
    /// such as asyncssh take it).
    public static let compression = "none"

    /// User key signature algorithms; plain `ssh-rsa` (SHA-1 signatures) is not among them.
    public static let userKeys = [
        "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
        "rsa-sha2-512", "rsa-sha2-256",
    ].joined(separator: ",")

    /// Smallest RSA user key accepted, in bits.
    public static let rsaMinimumBits: Int32 = 2048

    /// Bits of the RSA host key created on first start, as ssh-keygen's default.
    public static let rsaHostKeyBits: Int32 = 3072
}
