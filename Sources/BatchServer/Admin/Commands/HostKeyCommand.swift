import ArgumentParser
import BatchCore
import Foundation

/// `batchctl host-key [--json]`: the server's host keys, for targets to pin
/// (compare with what `batchd-recv --accept-new-host-key` recorded): the
/// ed25519 key first, then the RSA key batchd offers beside it, when it
/// has one (`ssh_host_rsa_key` in the same folder).
struct HostKeyCommand: AdminCommand {
    static let configuration = CommandConfiguration(
        commandName: "host-key",
        abstract: "Print the server's host key fingerprints and public key lines.")

    @ParentCommand var root: BatchctlCommand

    @Flag(help: "Print one JSON object: the ed25519 key's fields, and every key in \"keys\".")
    var json = false

    struct Description: Encodable {
        var fingerprint: String
        var type: String
        var publicKey: String
        var path: String

        enum CodingKeys: String, CodingKey {
            case fingerprint, type, path
            case publicKey = "public_key"
        }
    }

    struct Report: Encodable {
        var fingerprint: String
        var type: String
        var publicKey: String
        var path: String
        var keys: [Description]

        enum CodingKeys: String, CodingKey {
            case fingerprint, type, path, keys
            case publicKey = "public_key"
        }
    }

    func run(context: AdminContext) throws(AdminError) {
        let primaryPath = context.hostKeyPath ?? Batchctl.defaultHostKeyPath
        let primary = try describe(primaryPath + ".pub")
        var keys = [primary]
        let rsaPath = ServerConfiguration.rsaHostKey(beside: primaryPath) + ".pub"
        if rsaPath != primary.path, FileManager.default.fileExists(atPath: rsaPath) {
            keys.append(try describe(rsaPath))
        }
        if json {
            return try context.writeJSON(Report(fingerprint: primary.fingerprint, type: primary.type,
                                                publicKey: primary.publicKey, path: primary.path, keys: keys))
        }
        for key in keys {
            context.write("\(key.fingerprint) (\(key.type))")
            context.write(key.publicKey)
        }
    }

    private func describe(_ path: String) throws(AdminError) -> Description {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .keyFileUnreadable(path: path, reason: "\(error.localizedDescription); batchd creates it on first start")
        }
        let key: AuthorizedKey
        do {
            guard let first = try AuthorizedKey.parseFile(text).first else {
                throw AdminError.keyFileInvalid(path: path, reason: "it holds no key")
            }
            key = first
        } catch let error as AdminError {
            throw error
        } catch {
            throw .keyFileInvalid(path: path, reason: "\(error)")
        }
        return Description(fingerprint: KeyFile.fingerprint(of: key.blob), type: key.type.rawValue,
                           publicKey: "\(key.type.rawValue) \(key.base64)", path: path)
    }
}
