import ArgumentParser
import BatchCore
import Foundation

/// `batchctl host-key [--json]`: the server's host key, for targets to pin
/// (compare with what `batchd-recv --accept-new-host-key` recorded).
struct HostKeyCommand: AdminCommand {
    static let configuration = CommandConfiguration(
        commandName: "host-key",
        abstract: "Print the server's host key fingerprint and public key line.")

    @ParentCommand var root: BatchctlCommand

    @Flag(help: "Print one JSON object.")
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

    func run(context: AdminContext) throws(AdminError) {
        let path = (context.hostKeyPath ?? Batchctl.defaultHostKeyPath) + ".pub"
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
        let description = Description(
            fingerprint: KeyFile.fingerprint(of: key.blob), type: key.type.rawValue,
            publicKey: "\(key.type.rawValue) \(key.base64)", path: path)
        if json { return try context.writeJSON(description) }
        context.write("\(description.fingerprint) (\(description.type))")
        context.write(description.publicKey)
    }
}
