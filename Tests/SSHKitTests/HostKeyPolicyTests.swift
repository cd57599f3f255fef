import Foundation
import SSHKit
import Testing

@Suite(.serialized, .timeLimit(.minutes(5)))
struct HostKeyPolicyTests {
    @Test func unknownHostIsRefusedWithoutAcceptNew() throws {
        let fixture = try Fixture()
        defer { fixture.tearDown() }
        let path = fixture.knownHostsPath
        #expect(throws: SSHKitError.hostKeyUnknown(
            host: "127.0.0.1", port: fixture.server.port,
            fingerprint: fixture.server.hostKey.fingerprint, knownHostsPath: path)
        ) {
            try fixture.connect(policy: .knownHosts(path: path, acceptNew: false))
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func acceptNewRecordsTheHostPrivatelyAndLaterConnectionsTrustIt() throws {
        let fixture = try Fixture()
        defer { fixture.tearDown() }
        let path = fixture.knownHostsPath
        let first = try fixture.connect(policy: .knownHosts(path: path, acceptNew: true))
        first.close()

        let contents = try String(contentsOfFile: path, encoding: .utf8)
        let key = fixture.server.hostKey.publicKey
        #expect(contents == "[127.0.0.1]:\(fixture.server.port) \(key.type) \(key.base64)\n")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)

        let second = try fixture.connect(policy: .knownHosts(path: path, acceptNew: false))
        #expect(second.serverFingerprint == fixture.server.hostKey.fingerprint)
        #expect(try second.exec("payload 10").readAll().count == 10)
        // Trusting again adds nothing.
        _ = try fixture.connect(policy: .knownHosts(path: path, acceptNew: true))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == contents)
    }

    @Test func changedHostKeyIsRefusedEvenWithAcceptNew() throws {
        let fixture = try Fixture()
        defer { fixture.tearDown() }
        let port = fixture.server.port
        let path = fixture.knownHostsPath
        // What a previous server on this host and port presented.
        let old = try Fixture.makeKey(type: "ed25519", at: fixture.folder + "/old_host_key")
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        let recorded = """
            # batchd servers
            [other.example]:\(port) \(old.type) \(old.base64)
            [127.0.0.1]:\(port) \(old.type) \(old.base64)

            """
        try recorded.write(toFile: path, atomically: true, encoding: .utf8)

        for acceptNew in [false, true] {
            let error = #expect(throws: SSHKitError.self) {
                try fixture.connect(policy: .knownHosts(path: path, acceptNew: acceptNew))
            }
            #expect(error == .hostKeyChanged(
                host: "127.0.0.1", port: port, fingerprint: fixture.server.hostKey.fingerprint,
                knownHostsPath: path, lines: [3]))
            let message = error.map { "\($0)" } ?? ""
            #expect(message.contains("REMOTE HOST IDENTIFICATION HAS CHANGED"))
            #expect(message.contains("line 3 of \(path)"))
            #expect(message.contains("ssh-keygen -R '[127.0.0.1]:\(port)'"))
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == recorded)
    }

    @Test func pinnedKeyIsAccepted() throws {
        let fixture = try Fixture()
        defer { fixture.tearDown() }
        let session = try fixture.connect(policy: .pinned(fixture.server.hostKey.publicKey))
        #expect(session.serverHostKey == fixture.server.hostKey.publicKey)
    }

    @Test func otherPinnedKeyIsRefused() throws {
        let fixture = try Fixture()
        defer { fixture.tearDown() }
        let other = try Fixture.makeKey(type: "ed25519", at: fixture.folder + "/other")
        let otherFingerprint = try HostKey.loadOrCreate(path: fixture.folder + "/other").fingerprint
        #expect(throws: SSHKitError.hostKeyMismatch(
            host: "127.0.0.1", port: fixture.server.port,
            expected: otherFingerprint, got: fixture.server.hostKey.fingerprint)
        ) {
            try fixture.connect(policy: .pinned(other))
        }
    }

    @Test func knownHostsPathThatIsNotAFileIsReported() throws {
        let fixture = try Fixture()
        defer { fixture.tearDown() }
        let path = fixture.folder + "/known_hosts_dir"
        // A folder in place of the file cannot be read as one.
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let error = #expect(throws: SSHKitError.self) {
            try fixture.connect(policy: .knownHosts(path: path, acceptNew: true))
        }
        guard case .knownHosts(let reported, _) = error else {
            Issue.record("expected a known_hosts error, got \(String(describing: error))")
            return
        }
        #expect(reported == path)
    }
}
