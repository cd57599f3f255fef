/// The public key algorithms batchd accepts, named as in authorized_keys.
public enum SSHKeyType: String, Sendable, Hashable, CaseIterable, Codable {
    case ed25519 = "ssh-ed25519"
    case ecdsaP256 = "ecdsa-sha2-nistp256"
    case ecdsaP384 = "ecdsa-sha2-nistp384"
    case ecdsaP521 = "ecdsa-sha2-nistp521"
    case rsa = "ssh-rsa"

    /// Why a type OpenSSH knows is refused, or `nil` if the word is not a
    /// key type this code recognises at all.
    static func refusal(for word: String) -> String? {
        if word.hasSuffix("-cert-v01@openssh.com") {
            return "certificates are not supported, add the plain public key"
        }
        if word.hasPrefix("sk-") {
            return "security-key (FIDO) keys are not supported"
        }
        switch word {
        case "ssh-dss":
            return "DSA is obsolete and disabled in OpenSSH"
        case "ssh-xmss@openssh.com":
            return "XMSS is experimental"
        case "rsa-sha2-256", "rsa-sha2-512":
            return "this is a signature algorithm name, the key type of an RSA key is ssh-rsa"
        default:
            return nil
        }
    }
}
