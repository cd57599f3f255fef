import BatchCore
import BatchStore
import Crypto
import Foundation

/// Turns the text of an `authorized_keys`-format file into keys for the catalogue.
enum KeyFile {
    /// Every key in `text`; `path` names the file in errors. A file with no
    /// key is an error, since a user without a key could never log in.
    static func keys(in text: String, path: String) throws(AdminError) -> [NewKey] {
        let parsed: [AuthorizedKey]
        do {
            parsed = try AuthorizedKey.parseFile(text)
        } catch {
            throw .keyFileInvalid(path: path, reason: String(describing: error))
        }
        guard !parsed.isEmpty else {
            throw .keyFileInvalid(path: path, reason: "it holds no public key")
        }
        return parsed.map(newKey)
    }

    /// The catalogue's form of one parsed key.
    static func newKey(_ key: AuthorizedKey) -> NewKey {
        NewKey(type: key.type.rawValue, base64: key.base64, comment: key.comment,
               fingerprint: fingerprint(of: key.blob), bits: key.bits)
    }

    /// `SHA256:` and the unpadded base64 SHA-256 of a key blob: the form
    /// `ssh-keygen -l` prints, so admins can compare the two.
    static func fingerprint(of blob: [UInt8]) -> String {
        let digest = Data(SHA256.hash(data: blob)).base64EncodedString()
        return "SHA256:" + String(digest.prefix { $0 != "=" })
    }
}
