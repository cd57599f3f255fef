import BatchCore
import Foundation

/// Where delivered batches land: `INBOX/<id>-<name>.tar.gz` (and the
/// folder `INBOX/<id>-<name>/` when extracting), with partial archives
/// kept under `INBOX/.batchd-recv/` until they are verified.
struct Inbox: Sendable {
    let directory: String
    let stateDirectory: String

    /// The file name stem of a batch, `42-ops`. The name is made safe for
    /// a file name whatever the server sent.
    func stem(of offer: Offer) -> String {
        let safe = offer.name.unicodeScalars.map { scalar -> Character in
            let ok = CharacterSet.alphanumerics.contains(scalar) || "._-".unicodeScalars.contains(scalar)
            return ok && scalar.isASCII ? Character(scalar) : "_"
        }
        let name = String(safe).trimmingCharacters(in: CharacterSet(charactersIn: "."))
        return "\(offer.batch)-\(name.isEmpty ? "batch" : String(name.prefix(100)))"
    }

    func archivePath(of offer: Offer) -> String { directory + "/" + stem(of: offer) + ".tar.gz" }
    func extractPath(of offer: Offer) -> String { directory + "/" + stem(of: offer) }
    func partialPath(of offer: Offer) -> String { stateDirectory + "/\(offer.batch).part" }

    func prepare() throws(ReceiverError) {
        for folder in [directory, stateDirectory] {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw .storage(path: folder, reason: error.localizedDescription)
            }
        }
    }
}
