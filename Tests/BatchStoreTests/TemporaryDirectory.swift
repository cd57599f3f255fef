import BatchCore
import BatchStore
import Foundation
import Testing

/// A fresh directory under the system temporary directory, removed when dropped.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "batchstore-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            Issue.record("could not remove \(path): \(error)")
        }
    }

    /// A catalogue in this directory, the file created on first use.
    func catalogue(_ name: String = "catalogue.db") throws -> Catalogue {
        try Catalogue(path: path + "/" + name)
    }
}

/// A key with a distinct blob for each `n`.
func sampleKey(_ n: Int, comment: String = "") -> NewKey {
    let blob = Data("key-\(n)".utf8).base64EncodedString()
    return NewKey(type: "ssh-ed25519", base64: blob, comment: comment, fingerprint: "SHA256:fp\(n)", bits: 256)
}

/// A catalogue with users alice (source), bob and carol (targets), root
/// (admin), and topic ops with bob and carol subscribed.
func populatedCatalogue(in directory: TemporaryDirectory) throws -> Catalogue {
    let catalogue = try directory.catalogue()
    try catalogue.addUser(name: "alice", role: .source, keys: [sampleKey(1)])
    try catalogue.addUser(name: "bob", role: .target, keys: [sampleKey(2)])
    try catalogue.addUser(name: "carol", role: .target, keys: [sampleKey(3)])
    try catalogue.addUser(name: "root", role: .admin, keys: [sampleKey(4)])
    try catalogue.addTopic("ops")
    try catalogue.subscribe(topic: "ops", users: ["bob", "carol"])
    return catalogue
}

/// A seal summary for tests.
let sampleSeal = SealInfo(size: 1234, sha256: String(repeating: "ab", count: 32), pieceSize: 1024, pieces: ["p0", "p1"])
/// Two file entries for tests.
let sampleFiles = [
    FileEntry(path: "report.pdf", size: 1000, mode: 0o644, mtime: 1_700_000_000),
    FileEntry(path: "data/rows.csv", size: 200, mode: 0o600, mtime: 1_700_000_100),
]
