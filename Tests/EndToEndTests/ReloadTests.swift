import Foundation
import Testing

/// SIGHUP re-reads batchd.conf and applies it without dropping a
/// connection; a config with errors changes nothing.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct ReloadTests {
    @Test func hangUpAppliesNewLimitsAndKeepsSubscribersConnected() throws {
        let server = try TestServer()
        defer { server.stop() }
        let alice = try server.addUser("alice", role: "source")
        let bobKey = try server.addUser("bob", role: "target")
        try server.batchctl(["topic", "add", "ops"]).expectSuccess()
        try server.batchctl(["topic", "subscribe", "ops", "bob"]).expectSuccess()
        try server.start()
        let bob = try TestReceiver(server: server, user: "bob", key: bobKey)
        defer { bob.stop() }
        try server.waitForLog("subscriber connected")

        let folder = server.directory.appendingPathComponent("files")
        try Tree.make(at: folder, ["small.bin": Tree.random(500), "large.bin": Tree.random(5_000)])
        try server.reload(extraConfig: "MaxFileSize 1K\nLogLevel debug")
        try server.waitForLog("configuration reloaded")

        let large = try server.scp([folder.appendingPathComponent("large.bin").path, "alice@127.0.0.1:ops/"], key: alice)
        #expect(!large.succeeded)
        #expect(large.stderr.contains("1024"), "\(large.stderr)")
        try server.scp([folder.appendingPathComponent("small.bin").path, "alice@127.0.0.1:ops/"], key: alice)
            .expectSuccess("scp under the new limit")
        // The new LogLevel is in force: debug lines appear after the reload.
        #expect(server.logText.components(separatedBy: "configuration reloaded").last?.contains(" debug ") == true)

        // The subscriber was never dropped: one connection, and it got the batch.
        let sealed = try server.waitForSettledBatches(1)
        let id = try #require(sealed.first?["id"] as? Int)
        _ = try bob.waitForFile("\(id)-ops.tar.gz")
        #expect(server.logText.components(separatedBy: "subscriber connected").count - 1 == 1)

        // A broken config is refused whole; the running settings stay.
        try server.reload(extraConfig: "MaxFileSize 1K\nNoSuchKeyword yes\nMaxFileSize 1G")
        try server.waitForLog("reload refused")
        #expect(server.logText.contains("NoSuchKeyword"))
        let stillLimited = try server.scp([folder.appendingPathComponent("large.bin").path, "alice@127.0.0.1:ops/again/"], key: alice)
        #expect(!stillLimited.succeeded)

        // What needs a restart is named, and the rest applies.
        try server.reload(extraConfig: "EventLoops 3")
        try server.waitForLog("configuration reloaded", count: 2)
        #expect(server.logText.contains("needs restart=EventLoops"))
        try server.scp([folder.appendingPathComponent("large.bin").path, "alice@127.0.0.1:ops/"], key: alice)
            .expectSuccess("scp once the limit is lifted")
        #expect(server.isRunning)
    }
}
