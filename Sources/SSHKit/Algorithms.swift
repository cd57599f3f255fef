/// The algorithms the server offers, pinned so that `ssh-audit` finds no
/// failures: no NIST-curve key exchange, no SHA-1, no encrypt-and-MAC modes.
/// Every OpenSSH client since 7.x speaks at least one of each list.
public enum Algorithms {
    public static let keyExchange = [
        "curve25519-sha256", "curve25519-sha256@libssh.org",
        "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512",
    ].joined(separator: ",")

    public static let ciphers = [
        "chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com",
        "aes256-ctr", "aes192-ctr", "aes128-ctr",
    ].joined(separator: ",")

    /// Only encrypt-then-MAC; AEAD ciphers above carry their own MAC.
    public static let macs = ["hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com"]
        .joined(separator: ",")

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
}
