import CLibSSH
import Foundation

/// A server host key: loaded from its file, or created there (with a
/// `.pub` beside it) the first time the server starts.
public struct HostKey: Sendable {
    /// The kinds of key batchd creates.
    public enum Kind: Sendable {
        case ed25519
        /// `Algorithms.rsaHostKeyBits` bits.
        case rsa
    }

    /// Path of the private key file.
    public let path: String
    /// `SHA256:…` fingerprint, as `ssh-keygen -l` prints it.
    public let fingerprint: String
    /// The public key, for known_hosts lines and for targets to pin.
    public let publicKey: SSHPublicKey
    /// True when this call created the key.
    public let created: Bool

    /// Loads the key at `path`, creating a new key of `type` there if the
    /// file does not exist. The private key file is written with mode 0600.
    public static func loadOrCreate(path: String, type: Kind = .ed25519) throws(SSHKitError) -> HostKey {
        if FileManager.default.fileExists(atPath: path) {
            let key = try load(path: path)
            return try describe(key, path: path, created: false)
        }
        let key = try create(path: path, type: type)
        return try describe(key, path: path, created: true)
    }

    private static func load(path: String) throws(SSHKitError) -> LibSSHKey {
        var raw: ssh_key?
        guard ssh_pki_import_privkey_file(path, nil, nil, nil, &raw) == SSH_OK, let raw else {
            throw .hostKeyUnreadable(path: path, reason: "not a readable unencrypted OpenSSH private key")
        }
        return LibSSHKey(taking: raw)
    }

    private static func create(path: String, type: Kind) throws(SSHKitError) -> LibSSHKey {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw .hostKeyCreation(path: path, reason: error.localizedDescription)
            }
        }
        var raw: ssh_key?
        let generated = switch type {
        case .ed25519: ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &raw)
        case .rsa: ssh_pki_generate(SSH_KEYTYPE_RSA, Algorithms.rsaHostKeyBits, &raw)
        }
        guard generated == SSH_OK, let raw else {
            throw .hostKeyCreation(path: path, reason: "libssh could not generate \(type == .rsa ? "an RSA" : "an ed25519") key")
        }
        let key = LibSSHKey(taking: raw)
        // Create the file 0600 first so the secret is never readable by others,
        // even for an instant; libssh then overwrites its contents.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            throw .hostKeyCreation(path: path, reason: String(cString: strerror(errno)))
        }
        close(fd)
        guard ssh_pki_export_privkey_file(key.raw, nil, nil, nil, path) == SSH_OK else {
            unlink(path)
            throw .hostKeyCreation(path: path, reason: "libssh could not write the key")
        }
        if let pub = key.publicKey {
            let line = "\(pub.type) \(pub.base64) batchd-host-key\n"
            do {
                try line.write(toFile: path + ".pub", atomically: true, encoding: .utf8)
            } catch {
                throw .hostKeyCreation(path: path + ".pub", reason: error.localizedDescription)
            }
        }
        return key
    }

    private static func describe(_ key: LibSSHKey, path: String, created: Bool) throws(SSHKitError) -> HostKey {
        guard let fingerprint = key.sha256Fingerprint, let publicKey = key.publicKey else {
            throw .hostKeyUnreadable(path: path, reason: "libssh could not compute its fingerprint")
        }
        return HostKey(path: path, fingerprint: fingerprint, publicKey: publicKey, created: created)
    }
}
