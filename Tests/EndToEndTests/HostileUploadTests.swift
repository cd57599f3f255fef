import BatchStore
import Foundation
import Testing

/// What a logged-in client sends cannot hurt anyone downstream: modes that
/// would make a setuid program never reach an archive; names that legacy
/// scp sends obey every rule SFTP paths do; what a target types as a
/// decline reason reaches the source's terminal escaped.
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

    @Test(arguments: ["clear\u{1B}[2J.txt", "csi\u{9B}2J.txt", "bidi\u{202E}txt.exe", "back\\slash.txt"])
    func legacyScpNamesObeyTheRulesSFTPPathsDo(name: String) throws {
        let (server, alice) = try TestServer.withAliceBobAndOps()
        defer { server.stop() }
        let folder = server.directory.appendingPathComponent("names")
        try Tree.make(at: folder, [name: Data("x".utf8), "fine.txt": Data("ok".utf8)])
        let hostile = try ProcessRunner.run(["scp"] + server.sshOptions + ["-O", "-P", String(server.port), "-i", alice,
                                             folder.appendingPathComponent(name).path,
                                             folder.appendingPathComponent("fine.txt").path, "alice@127.0.0.1:ops/"])
        #expect(hostile.status != 0)
        #expect(hostile.stderr.contains("control character") || hostile.stderr.contains("backslash"), "\(hostile.stderr)")
        // The refused name's bytes are not echoed raw.
        #expect(!hostile.stderr.unicodeScalars.contains { $0 != "\\" && $0 != "\n" && TerminalTextCheck.isControl($0) },
                "\(hostile.stderr.debugDescription)")
        let id = try #require(try server.waitForSettledBatches(1).first?["id"] as? Int)
        let batch = try server.batch(id)
        let paths = TestServer.filePaths(of: batch)
        #expect(paths == ["fine.txt"], "\(batch)")
    }

    @Test func legacyScpFoldersDeeperThanSFTPAllowsAreRefused() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps()
        defer { server.stop() }
        let deep = (0..<130).map { _ in "d" }.joined(separator: "/")
        let folder = server.directory.appendingPathComponent("deep")
        try Tree.make(at: folder, [deep + "/bottom.txt": Data("x".utf8)])
        let result = try server.scp(["-r", folder.appendingPathComponent("d").path, "alice@127.0.0.1:ops/"], key: alice, legacy: true)
        #expect(result.status != 0)
        #expect(result.stderr.contains("deeper than 128"), "\(result.stderr)")
    }

    @Test func aDeclineReasonWithEscapesReachesWatchEscaped() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps()
        defer { server.stop() }
        let subscriber = try PythonClient(starting: "declining_subscriber.py", ["no\u{1B}[2J\u{1B}]0;owned\u{07}\u{9B}31m"]
            + ["ssh"] + server.sshOptions + ["-p", String(server.port), "-i", server.keyPath("bob"), "bob@127.0.0.1"])
        defer { subscriber.kill() }
        usleep(700_000)
        let folder = server.directory.appendingPathComponent("drop")
        try Tree.make(at: folder, ["a.txt": Data("a".utf8)])
        try server.scp([folder.appendingPathComponent("a.txt").path, "alice@127.0.0.1:ops/"], key: alice).expectSuccess()
        subscriber.process.waitUntilExit()
        #expect(subscriber.process.terminationStatus == 0)

        let watch = try server.ssh("alice", key: alice, ["watch", "1"], timeout: 30)
        #expect(watch.stdout.contains("bob declined: no\\e[2J\\e]0;owned\\x07\\u{9b}31m"), "\(watch.stdout.debugDescription)")
        #expect(!watch.stdout.unicodeScalars.contains { $0 != "\n" && TerminalTextCheck.isControl($0) })
        let show = try server.batchctl(["batch", "show", "1"])
        #expect(show.stdout.contains("no\\e[2J"), "\(show.stdout.debugDescription)")
        #expect(!show.stdout.unicodeScalars.contains { $0 != "\n" && TerminalTextCheck.isControl($0) })
    }

    @Test func aSizeSetFarBeyondWhatWasWrittenCountsInFullAndIsRefused() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps()
        defer { server.stop() }
        // 16 bytes written, then FSETSTAT to 50 GiB, then a WRITE at 40 GiB.
        let result = try PythonClient.run("far_sizes.py", ["127.0.0.1", String(server.port), "alice", alice])
        #expect(result.stdout.contains("refused set.bin") && result.stdout.contains("refused far.bin"), "\(result.stdout)\(result.stderr)")
        #expect(!result.stdout.contains("accepted"), "\(result.stdout)")
        // Neither file is in a batch: nothing was sealed.
        usleep(500_000)
        #expect(!server.logText.contains("batch sealed"), "\(server.logText)")
    }

    @Test func aTargetsOwnLinkReportsCannotMakeItLookFasterThanItsDeliveryShowed() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps()
        defer { server.stop() }
        // bob claims the whole archive in 0.1 ms, before and after his
        // accept, then takes 2 s to say it arrived.
        let bob = try PythonClient(starting: "boasting_subscriber.py", ["bob", "2", "5", "ssh"] + server.sshOptions
                                       + ["-p", String(server.port), "-i", server.keyPath("bob"), "bob@127.0.0.1"])
        defer { bob.kill() }
        try server.waitForLog("subscriber connected")
        let file = server.directory.appendingPathComponent("four.bin")
        try Tree.writeRandomFile(at: file, size: 4_000_000)
        try server.scp([file.path, "alice@127.0.0.1:ops/"], key: alice).expectSuccess()
        #expect(bob.readOutput().contains("delivered 1"))
        try server.waitForLog("offer answered", count: 2)
        let size = try #require(try server.batch(1)["size"] as? Int)
        let samples = try Catalogue(path: server.stateDirectory + "/catalogue.db").linkSamples(from: "server", to: "bob")
        // The report sent before the accept is dropped; the one after is
        // cut to the archive's size over the 2 s the server saw.
        #expect(samples.count == 1, "\(samples)")
        let claimed = Double(size) / 0.0001
        let seen = Double(size) / 2
        for sample in samples {
            #expect(sample.throughputBps <= seen * 1.01, "claimed \(claimed) B/s, recorded \(sample.throughputBps) B/s")
        }
        print("a boasting target: claimed \(Int(claimed)) B/s, recorded \(samples.map { Int($0.throughputBps) }) B/s")
        // Its word that it dropped a peer is logged, escaped, and takes no
        // one from anyone: "nobody" is no source of this batch.
        try server.waitForLog("a target dropped a peer source")
        #expect(server.logText.contains("\\e[2Jlies") && !server.logText.contains("\u{1b}[2J"), "\(server.logText.suffix(2000))")
    }

    @Test func aTargetCannotPointItsPeersAtAnAddressOfItsChoosing() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps()
        defer { server.stop() }
        try server.addUser("carol", role: "target")
        try server.batchctl(["topic", "subscribe", "ops", "carol"]).expectSuccess()
        func subscriber(_ user: String, listen: String, acceptDelay: Double = 0) throws -> PythonClient {
            try PythonClient(starting: "announcing_subscriber.py", [user, listen, "6", "ssh"] + server.sshOptions
                                + ["-p", String(server.port), "-i", server.keyPath(user), "\(user)@127.0.0.1"],
                             environment: ["ACCEPT_DELAY": "\(acceptDelay)"])
        }
        // bob says his peers should fetch from 10.9.9.9 (or a loopback
        // service of the server's host); carol serves nothing.
        let bob = try subscriber("bob", listen: "10.9.9.9:7000")
        // carol answers later, so bob has accepted and can serve her when
        // her plan is made.
        let carol = try subscriber("carol", listen: "-", acceptDelay: 1.5)
        defer { for client in [bob, carol] { client.kill() } }
        try server.waitForLog("subscriber connected", count: 2)
        usleep(300_000)
        let folder = server.directory.appendingPathComponent("drop")
        try Tree.make(at: folder, ["a.txt": Data("a".utf8)])
        try server.scp([folder.appendingPathComponent("a.txt").path, "alice@127.0.0.1:ops/"], key: alice).expectSuccess()
        let plans = carol.readOutput()
        let sources = plans.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["sources"] as? [[String: Any]]
        }.flatMap { $0 }
        let bobs = sources.filter { $0["name"] as? String == "bob" }
        #expect(!bobs.isEmpty, "carol was never planned to fetch from bob: \(plans)")
        #expect(bobs.allSatisfy { $0["address"] as? String == "127.0.0.1:7000" }, "\(plans)")
        #expect(!plans.contains("10.9.9.9"), "\(plans)")
        #expect(server.logText.contains("replaced by the one it connected from"))
    }
}

/// The controls a terminal acts on, spelled out here rather than taken from
/// the code under test.
enum TerminalTextCheck {
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F..<0xA0).contains(scalar.value) || (0x202A...0x202E).contains(scalar.value)
            || (0x2066...0x2069).contains(scalar.value)
    }
}
