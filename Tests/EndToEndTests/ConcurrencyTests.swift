import Foundation
import Locking
import Testing

/// Many clients at once on one server: drops in both scp modes, clients
/// killed mid-upload, and subscribers taking deliveries meanwhile. Nothing
/// is lost and the server keeps serving.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct ConcurrencyTests {
    static let sources = 12
    static let dropsPerSource = 4

    @Test func concurrentSourcesAbortedClientsAndDeliveriesLoseNothing() throws {
        let server = try TestServer(extraConfig: "LogLevel debug")
        defer { server.stop() }
        let keys = try (0..<Self.sources).map { try server.addUser("s\($0)", role: "source") }
        let bobKey = try server.addUser("bob", role: "target")
        let carolKey = try server.addUser("carol", role: "target")
        try server.batchctl(["topic", "add", "ops"]).expectSuccess()
        try server.batchctl(["topic", "subscribe", "ops", "bob", "carol"]).expectSuccess()
        try server.start()
        let bob = try TestReceiver(server: server, user: "bob", key: bobKey)
        defer { bob.stop() }
        let carol = try TestReceiver(server: server, user: "carol", key: carolKey)
        defer { carol.stop() }

        let folder = server.directory.appendingPathComponent("drops")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let big = folder.appendingPathComponent("big.bin")
        try Tree.writeRandomFile(at: big, size: 64_000_000)
        var expected: [String: Data] = [:]
        for s in 0..<Self.sources {
            for d in 0..<Self.dropsPerSource {
                let name = "s\(s)-\(d).bin"
                let data = Tree.random(50_000 + s * 1_000 + d * 7)
                try data.write(to: folder.appendingPathComponent(name))
                expected[name] = data
            }
        }

        let failures = Locked<[String]>([])
        DispatchQueue.concurrentPerform(iterations: Self.sources) { s in
            for d in 0..<Self.dropsPerSource {
                let name = "s\(s)-\(d).bin"
                do {
                    if d == 1 { try Self.abortedUpload(server, user: "s\(s)", key: keys[s], file: big) }
                    try server.scp([folder.appendingPathComponent(name).path, "s\(s)@127.0.0.1:ops/"],
                                   key: keys[s], legacy: (s + d) % 2 == 1, timeout: 120)
                        .expectSuccess("scp \(name)")
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        let failed = failures.withLock { $0 }
        #expect(failed.isEmpty, "server log:\n\(server.logText)")

        // Every completed drop's file is in exactly one sealed batch (one
        // source's drops that follow within the quiet time, or while an
        // aborted upload waits to be resumed, share a batch); an aborted
        // upload never puts its partial file in an archive. Every scp has
        // exited, so every batch exists: wait until none is open.
        let settled = try server.waitForSettledBatches(Self.sources, timeout: 120)
        var found: [String: Int] = [:]
        for summary in settled {
            let id = try #require(summary["id"] as? Int)
            let batch = try server.batch(id)
            let files = (batch["files"] as? [[String: Any]]) ?? []
            if let partial = files.first(where: { $0["path"] as? String == "big.bin" }) {
                // The kill came after the upload had completed: then it is whole.
                #expect(partial["size"] as? Int == 64_000_000, "batch \(id) holds a partial upload")
            }
            for file in files {
                guard let path = file["path"] as? String, expected[path] != nil else { continue }
                #expect(batch["state"] as? String == "sealed")
                found[path, default: 0] += 1
                let archive = try #require(batch["archive"] as? String)
                let out = try Tree.extract(archive, into: server.directory.appendingPathComponent("x\(id)"))
                #expect(try Data(contentsOf: out.appendingPathComponent(path)) == expected[path])
            }
        }
        #expect(found.count == expected.count && found.values.allSatisfy { $0 == 1 }, "\(found)")

        // Both subscribers get every batch with a file in it, byte-identical.
        for summary in settled where summary["state"] as? String == "sealed" {
            let id = try #require(summary["id"] as? Int)
            let batch = try server.batch(id)
            guard !((batch["files"] as? [[String: Any]]) ?? []).isEmpty else { continue }
            for receiver in [bob, carol] {
                let landed = try receiver.waitForFile("\(id)-ops.tar.gz", timeout: 120)
                #expect(try Tree.sha256(landed.path) == batch["sha256"] as? String)
            }
        }
        #expect(server.isRunning, "batchd died:\n\(server.logText)")

        // And it still takes a new drop.
        try server.scp([folder.appendingPathComponent("s0-0.bin").path, "s0@127.0.0.1:ops/again/"], key: keys[0])
            .expectSuccess("scp after the load")
    }

    /// Starts an scp of a large file and kills it with SIGKILL mid-upload.
    private static func abortedUpload(_ server: TestServer, user: String, key: String, file: URL) throws {
        let process = try server.startScp([file.path, "\(user)@127.0.0.1:ops/"], key: key)
        usleep(300_000)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
