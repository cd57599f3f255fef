import Foundation
import Testing

/// What a logged-in source uploads cannot hurt a target: modes that would
/// make a setuid program never reach an archive.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct HostileUploadTests {
    @Test(arguments: [false, true])
    func setuidSetgidAndStickyModesNeverReachTheArchive(legacy: Bool) throws {
        let (server, alice) = try TestServer.withAliceBobAndOps()
        defer { server.stop() }
        let folder = server.directory.appendingPathComponent("modes")
        try Tree.make(at: folder, ["suid": Data("#!/bin/sh\n".utf8), "sgid": Data("g".utf8), "sticky": Data("s".utf8)])
        chmod(folder.appendingPathComponent("suid").path, 0o4755)
        chmod(folder.appendingPathComponent("sgid").path, 0o2755)
        chmod(folder.appendingPathComponent("sticky").path, 0o1755)
        try server.scp(["-p", "-r", folder.path, "alice@127.0.0.1:ops/"], key: alice, legacy: legacy).expectSuccess()

        let id = try #require(try server.waitForSettledBatches(1).first?["id"] as? Int)
        let batch = try server.batch(id)
        let archive = try #require(batch["archive"] as? String, "\(batch)")
        let listing = try ProcessRunner.run(["tar", "-tvzf", archive])
        #expect(listing.succeeded, "\(listing.stderr)")
        let modes = listing.stdout.split(separator: "\n").map { String($0.prefix(10)) }
        #expect(modes.count == 4, "\(listing.stdout)")
        #expect(modes.allSatisfy { !$0.contains("s") && !$0.contains("S") && !$0.contains("t") && !$0.contains("T") },
                "\(listing.stdout)")
        #expect(listing.stdout.contains("-rwxr-xr-x 0/0"), "\(listing.stdout)")
    }
}
