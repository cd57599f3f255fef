import CLibSSH

/// Owns one libssh `ssh_key` and frees it exactly once.
final class LibSSHKey {
    let raw: ssh_key

    init(taking raw: ssh_key) {
        self.raw = raw
    }

    deinit {
        ssh_key_free(raw)
    }

    /// The public half as an authorized_keys type and base64 blob.
    var publicKey: SSHPublicKey? {
        LibSSHKey.publicKey(of: raw)
    }

    /// `SHA256:…` as `ssh-keygen -l` prints it.
    var sha256Fingerprint: String? {
        LibSSHKey.fingerprint(of: raw)
    }

    static func publicKey(of key: ssh_key) -> SSHPublicKey? {
        var b64: UnsafeMutablePointer<CChar>?
        guard ssh_pki_export_pubkey_base64(key, &b64) == SSH_OK, let b64 else { return nil }
        defer { ssh_string_free_char(b64) }
        guard let typeName = ssh_key_type_to_char(ssh_key_type(key)) else { return nil }
        return SSHPublicKey(type: String(cString: typeName), base64: String(cString: b64))
    }

    static func fingerprint(of key: ssh_key) -> String? {
        var hash: UnsafeMutablePointer<UInt8>?
        var length = 0
        guard ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &length) == 0, let digest = hash else {
            return nil
        }
        defer { ssh_clean_pubkey_hash(&hash) }
        guard let text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, digest, length) else { return nil }
        defer { ssh_string_free_char(text) }
        return String(cString: text)
    }
}
