import BatchCore
import BatchServer
import BatchStore
import Foundation
import Testing

@Suite struct BatchctlCommandTests {
    private func json(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    @Test func userAddRegistersEveryKeyInAMultiKeyFile() throws {
        let harness = try AdminHarness()
        let keys = try harness.keyFile("bob", count: 3)
        let result = harness.run(["user", "add", "bob", "--role", "target", "--key", keys])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output == "added target 'bob' with 3 keys\n")
        let listed = try #require(try json(harness.run(["key", "list", "bob", "--json"]).output) as? [[String: Any]])
        #expect(listed.count == 3)
        #expect(listed.map { $0["comment"] as? String } == ["bob-0@host", "bob-1@host", "bob-2@host"])
        let fingerprint = try #require(listed.first?["fingerprint"] as? String)
        #expect(fingerprint.hasPrefix("SHA256:"))
        #expect(fingerprint.count == 7 + 43)
        #expect(listed.first?["revoked_at"] is NSNull)
    }

    @Test func fingerprintMatchesSshKeygen() throws {
        // `ssh-keygen -lf` prints this for the ed25519 key whose 32 key bytes are all zero.
        let harness = try AdminHarness()
        let keys = try harness.file("zero.pub", sampleKeyLine(0, comment: "zero") + "\n")
        #expect(harness.run(["user", "add", "zed", "--role", "source", "--key", keys]).status == 0)
        let listed = try #require(try json(harness.run(["key", "list", "--json"]).output) as? [[String: Any]])
        #expect(listed.first?["fingerprint"] as? String == "SHA256:kmYcvdi2GkPeWxB6XLjrZB8JHsy2Hm8luHMFp9GMvqk")
    }

    @Test func duplicateUserIsRefusedWithStatusOne() throws {
        let harness = try AdminHarness()
        #expect(harness.run(["user", "add", "bob", "--role", "target", "--key", try harness.keyFile("bob")]).status == 0)
        let again = harness.run(["user", "add", "bob", "--role", "admin", "--key", try harness.keyFile("bob2", seed: 9)])
        #expect(again.status == 1)
        #expect(again.errors == "batchctl: user 'bob' already exists; batchctl user list shows the users\n")
    }

    @Test func missingAndEmptyKeyFilesAreRefused() throws {
        let harness = try AdminHarness()
        let missing = harness.run(["user", "add", "bob", "--role", "target", "--key", harness.directory + "/none.pub"])
        #expect(missing.status == 66)
        #expect(missing.errors.contains("no such file"))
        let empty = harness.run(["user", "add", "bob", "--role", "target", "--key", try harness.file("empty.pub", "\n")])
        #expect(empty.status == 65)
        #expect(try harness.catalogue().access()["bob"]?.role == nil)
    }

    @Test func badKeyLineIsRefusedWithItsLineNumber() throws {
        let harness = try AdminHarness()
        let path = try harness.file("mixed.pub", sampleKeyLine(1, comment: "ok") + "\nssh-dss AAAAB3NzaC1kc3M= old\n")
        let result = harness.run(["user", "add", "bob", "--role", "target", "--key", path])
        #expect(result.status == 65)
        #expect(result.errors.hasPrefix("batchctl: key file '\(path)' is not usable: line 2:"))
        #expect(try harness.catalogue().access()["bob"]?.role == nil)
    }

    @Test func keysCanBeAddedLaterAndUsersRemoved() throws {
        let harness = try AdminHarness()
        #expect(harness.run(["user", "add", "bob", "--role", "target", "--key", try harness.keyFile("bob")]).status == 0)
        let added = harness.run(["key", "add", "bob", "--key", try harness.keyFile("laptop", count: 2, seed: 10)])
        #expect(added.status == 0)
        #expect(added.output.split(separator: "\n").count == 2)
        #expect(try harness.catalogue().access()["bob"]?.keys.count == 3)
        #expect(harness.run(["key", "add", "zed", "--key", try harness.keyFile("zed", seed: 20)]).status == 1)
        #expect(harness.run(["user", "remove", "bob"]).output == "removed user 'bob'\n")
        #expect(try harness.catalogue().access()["bob"] == nil)
        #expect(harness.run(["user", "remove", "bob"]).errors == "batchctl: unknown user 'bob'; batchctl user list shows the users\n")
    }

    @Test func subscribingANonTargetIsRefusedNamingTheUser() throws {
        let harness = try AdminHarness()
        #expect(harness.run(["user", "add", "alice", "--role", "source", "--key", try harness.keyFile("alice")]).status == 0)
        #expect(harness.run(["topic", "add", "ops"]).status == 0)
        let result = harness.run(["topic", "subscribe", "ops", "alice"])
        #expect(result.status == 1)
        #expect(result.errors.contains("user 'alice' is not a target"))
        let unknownTopic = harness.run(["topic", "subscribe", "dev", "alice"])
        #expect(unknownTopic.errors == "batchctl: topic 'dev' does not exist; batchctl topic list shows the topics\n")
    }

    @Test func listingsAgreeInTextAndJSON() throws {
        let harness = try AdminHarness()
        #expect(harness.run(["user", "add", "bob", "--role", "target", "--key", try harness.keyFile("bob")]).status == 0)
        #expect(harness.run(["user", "add", "carol", "--role", "target", "--key", try harness.keyFile("carol", seed: 5)]).status == 0)
        #expect(harness.run(["topic", "add", "ops"]).status == 0)
        #expect(harness.run(["topic", "subscribe", "ops", "bob", "carol"]).status == 0)
        #expect(harness.run(["topic", "unsubscribe", "ops", "carol"]).status == 0)

        let topics = try #require(try json(harness.run(["topic", "list", "--json"]).output) as? [[String: Any]])
        #expect(topics.count == 1)
        #expect(topics.first?["subscribers"] as? [String] == ["bob"])
        #expect(harness.run(["topic", "list"]).output == "TOPIC  SUBSCRIBERS\nops    bob\n")

        let users = try #require(try json(harness.run(["user", "list", "--json"]).output) as? [[String: Any]])
        #expect(users.map { $0["name"] as? String } == ["bob", "carol"])
        #expect(users.first?["topics"] as? [String] == ["ops"])
        #expect(harness.run(["user", "list"]).output.contains("bob    target  1     ops"))

        let stats = try #require(try json(harness.run(["stats", "--json"]).output) as? [String: Any])
        #expect(stats["users"] as? [String: Int] == ["source": 0, "target": 2, "admin": 0])
        #expect(harness.run(["stats"]).output.hasPrefix("users: 0 source, 2 target, 0 admin\n"))
    }

    @Test func jsonOutputIsStableWithSortedKeys() throws {
        let harness = try AdminHarness()
        #expect(harness.run(["topic", "add", "ops"]).status == 0)
        let first = harness.run(["stats", "--json"]).output
        #expect(first == harness.run(["stats", "--json"]).output)
        let keys = first.split(separator: "\n").filter { $0.hasPrefix("  \"") }.map { $0.split(separator: "\"")[1] }
        #expect(keys == ["batches", "deliveries", "dropped_bytes", "dropped_bytes_24h", "offers", "relay", "sealed_bytes",
                         "targets", "topics", "users"])
    }

    @Test func revokedKeyIsNoLongerActive() throws {
        let harness = try AdminHarness()
        #expect(harness.run(["user", "add", "bob", "--role", "target", "--key", try harness.keyFile("bob", count: 2)]).status == 0)
        let keys = try harness.catalogue().keys(user: "bob")
        let result = harness.run(["key", "revoke", keys[0].fingerprint])
        #expect(result.status == 0)
        #expect(result.output == "revoked key \(keys[0].fingerprint) of 'bob'\n")
        let secondBlob = String(sampleKeyLine(1, comment: "").split(separator: " ")[1])
        #expect(try harness.catalogue().access()["bob"]?.keys == [secondBlob])
        #expect(harness.run(["key", "revoke", keys[0].fingerprint]).status == 1)
    }

    @Test func batchShowJSONHasTheContractShape() throws {
        let harness = try AdminHarness()
        let catalogue = try harness.catalogue()
        try catalogue.addUser(name: "alice", role: .source, keys: [])
        try catalogue.addUser(name: "bob", role: .target, keys: [])
        try catalogue.addTopic("ops")
        try catalogue.subscribe(topic: "ops", users: ["bob"])
        let id = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
        try catalogue.sealBatch(
            id: id, archivePath: "/srv/archives/\(id).tar.gz",
            summary: SealInfo(size: 99, sha256: String(repeating: "0", count: 64), pieceSize: 64, pieces: ["a", "b"]),
            files: [FileEntry(path: "report.pdf", size: 80, mode: 0o644, mtime: 0)])
        try catalogue.addReceivedBytes(batch: id, target: "bob", source: "server", bytes: 99)
        try catalogue.updateOffer(batch: id, target: "bob", state: .delivered, detail: "server")

        let result = harness.run(["batch", "show", String(id), "--json"])
        #expect(result.status == 0)
        let object = try #require(try json(result.output) as? [String: Any])
        for key in ["id", "topic", "source", "state", "size", "sha256", "archive", "files", "targets"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        #expect(object["archive"] as? String == "/srv/archives/\(id).tar.gz")
        let files = try #require(object["files"] as? [[String: Any]])
        #expect(files.first?["path"] as? String == "report.pdf")
        #expect(files.first?["size"] as? Int == 80)
        let target = try #require((object["targets"] as? [[String: Any]])?.first)
        #expect(target["user"] as? String == "bob")
        #expect(target["state"] as? String == "delivered")
        #expect(target["reason"] is NSNull)
        #expect(target["received_from"] as? [String: Int] == ["server": 99])

        let text = harness.run(["batch", "show", String(id)])
        #expect(text.output.hasPrefix("batch        \(id)\nsource       alice\n"))
        #expect(text.output.contains("  bob   delivered  received from server 99"))
        #expect(harness.run(["batch", "list"]).output.contains("bob:delivered"))
        #expect(harness.run(["batch", "show", "404"]).status == 1)
    }

    @Test func purgeRemovesTheArchiveFileAndMarksTheBatch() throws {
        let harness = try AdminHarness()
        let catalogue = try harness.catalogue()
        let layout = StateLayout(directory: harness.state)
        try catalogue.addUser(name: "bob", role: .target, keys: [])
        try FileManager.default.createDirectory(atPath: layout.archives, withIntermediateDirectories: true)
        var ids: [Int64] = []
        for _ in 0..<2 {
            let id = try catalogue.openBatch(source: "alice", destination: .users(["bob"]))
            let archive = layout.archive(batch: id)
            #expect(FileManager.default.createFile(atPath: archive, contents: Data("gz".utf8)))
            try catalogue.sealBatch(id: id, archivePath: archive, summary: SealInfo(size: 2, sha256: "", pieceSize: 2, pieces: []), files: [])
            ids.append(id)
        }
        let result = harness.run(["batch", "purge"] + ids.map(String.init))
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output == ids.map { "purged batch \($0) (open offers ended: bob)\n" }.joined())
        for id in ids {
            #expect(!FileManager.default.fileExists(atPath: layout.archive(batch: id)))
            #expect(try catalogue.batch(id: id)?.state == .purged)
        }
        let again = harness.run(["batch", "purge", String(ids[0])])
        #expect(again.status == 1)
        #expect(again.errors == "batchctl: cannot purge batch \(ids[0]): it is purged\n")
    }
}
