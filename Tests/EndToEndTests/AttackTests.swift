import Foundation
import Testing

/// Hostile input sent raw, below what any honest client sends: through
/// `ssh -s … sftp`, `ssh … scp -t`, `ssh … subscribe` and `ssh … fetch`
/// with hand-built bytes. Each attack must get a refusal, leave nothing
/// outside the drop area, and leave the server serving the next client.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct AttackTests {
    /// What an attack sends and what the server must answer.
    enum Attack: String, CaseIterable, CustomTestStringConvertible {
        case sftpLengthOverLimit, sftpZeroLength, sftpTruncatedPacket, sftpUnknownRequestType,
             sftpRequestBeforeInit, sftpForgedWriteHandle, sftpForgedCloseHandle, sftpReusedHandleAfterClose,
             sftpReadFromDropArea, sftpWriteAtAbsurdOffset, sftpStringLongerThanPacket, sftpParentEscape,
             sftpNULInName, sftpNameOver255Bytes, sftpPathOver4096Bytes, sftpSymlink, sftpHardlink,
             sftpTooManyOpenHandles, sftpAbsolutePathOutside, sftpControlBytesInName,
             scpOversizedFileHeader, scpBadMode, scpNameWithSlash, scpDirectoryDotDot, scpUnknownCommand,
             scpStopsMidFile, subscribeGarbageFrame, subscribeOversizedFrame, subscribeAnswerForUnofferedBatch,
             fetchMalformedArguments, fetchRangeBeyondPieces, unknownExecCommand

        var testDescription: String { rawValue }
    }

    private static let ok: UInt32 = 0

    @Test(arguments: Attack.allCases)
    func attackIsRefusedAndTheServerKeepsServing(_ attack: Attack) throws {
        let (server, alice) = try TestServer.withAliceBobAndOps()
        defer { server.stop() }

        switch attack {
        case .sftpLengthOverLimit:
            let result = try sftp(server, alice, RawSFTP.initialize + RawSFTP.u32(0x4000_0000) + [3])
            #expect(result.stderr.contains("larger than"))
        case .sftpZeroLength:
            let result = try sftp(server, alice, RawSFTP.initialize + RawSFTP.u32(0))
            #expect(!result.stderr.isEmpty)
        case .sftpTruncatedPacket:
            // Claims 100 bytes, sends 10, then EOF: nothing is opened.
            let result = try sftp(server, alice, RawSFTP.initialize + RawSFTP.u32(100) + [3] + RawSFTP.u32(1) + [0, 0, 0, 9, 0x61])
            #expect(result.stdoutData.count < 200)
        case .sftpUnknownRequestType:
            let replies = try sftpReplies(server, alice, RawSFTP.packet(99, id: 7, []))
            #expect(status(7, in: replies) == 8) // OP_UNSUPPORTED
        case .sftpRequestBeforeInit:
            let result = try sftp(server, alice, RawSFTP.open(id: 1, "ops/x.txt"), initialize: false)
            #expect(result.stderr.contains("before INIT"))
        case .sftpForgedWriteHandle:
            let replies = try sftpReplies(server, alice, RawSFTP.write(id: 5, handle: Array("17".utf8), offset: 0, [1, 2, 3]))
            #expect(refused(5, in: replies))
        case .sftpForgedCloseHandle:
            let replies = try sftpReplies(server, alice, RawSFTP.close(id: 5, handle: [0xFF, 0x00, 0x41]))
            #expect(refused(5, in: replies))
        case .sftpReusedHandleAfterClose:
            let replies = try sftpSession(server, alice) { handle in
                RawSFTP.close(id: 3, handle: handle) + RawSFTP.write(id: 4, handle: handle, offset: 0, [1])
            }
            #expect(status(3, in: replies) == Self.ok)
            #expect(refused(4, in: replies))
        case .sftpReadFromDropArea:
            let replies = try sftpReplies(server, alice, RawSFTP.open(id: 2, Array("ops/r.txt".utf8), flags: 0x01))
            #expect(refused(2, in: replies))
        case .sftpWriteAtAbsurdOffset:
            let replies = try sftpSession(server, alice) { handle in
                RawSFTP.write(id: 3, handle: handle, offset: UInt64.max - 2, [1, 2, 3, 4])
                    + RawSFTP.write(id: 4, handle: handle, offset: 1 << 62, [1])
            }
            #expect(refused(3, in: replies))
            #expect(refused(4, in: replies))
        case .sftpStringLongerThanPacket:
            // OPEN whose filename string claims 1000 bytes inside a 20-byte packet.
            let body: [UInt8] = [3] + RawSFTP.u32(2) + RawSFTP.u32(1000) + Array("ops/a".utf8) + RawSFTP.u32(0x1A) + RawSFTP.u32(0)
            let replies = try sftpReplies(server, alice, RawSFTP.u32(UInt32(body.count)) + body)
            #expect(notGranted(2, in: replies))
        case .sftpParentEscape:
            for (id, path) in ["ops/../../escaped", "ops/a/../../../escaped", "ops/..", "ops/x/..", "ops/../\u{65A}escaped",
                               "ops/a/../\u{301}../escaped"].enumerated() {
                let replies = try sftpReplies(server, alice, RawSFTP.open(id: UInt32(id + 1), path))
                #expect(refused(UInt32(id + 1), in: replies), "\(path)")
            }
        case .sftpNULInName:
            let replies = try sftpReplies(server, alice, RawSFTP.open(id: 2, Array("ops/a".utf8) + [0] + Array("b".utf8)))
            #expect(refused(2, in: replies))
        case .sftpNameOver255Bytes:
            let replies = try sftpReplies(server, alice, RawSFTP.open(id: 2, "ops/" + String(repeating: "n", count: 256)))
            #expect(refused(2, in: replies))
        case .sftpPathOver4096Bytes:
            let deep = "ops/" + Array(repeating: String(repeating: "d", count: 200), count: 21).joined(separator: "/")
            let replies = try sftpReplies(server, alice, RawSFTP.open(id: 2, deep))
            #expect(refused(2, in: replies))
        case .sftpSymlink:
            let replies = try sftpReplies(server, alice, RawSFTP.packet(20, id: 2, RawSFTP.string("ops/link") + RawSFTP.string("/etc/passwd")))
            #expect(refused(2, in: replies))
        case .sftpHardlink:
            let body = RawSFTP.string("hardlink@openssh.com") + RawSFTP.string("/etc/passwd") + RawSFTP.string("ops/hard")
            let replies = try sftpReplies(server, alice, RawSFTP.packet(200, id: 2, body))
            #expect(refused(2, in: replies))
        case .sftpTooManyOpenHandles:
            let opens = (1...520).flatMap { RawSFTP.open(id: UInt32($0), "ops/h\($0).bin") }
            let replies = try sftpReplies(server, alice, opens)
            let handles = replies.filter { $0.type == 102 }.count
            // Open files stop at MaxOpenFilesPerUser (256 by default), below
            // the channel's own cap of 512 handles.
            #expect(handles == 256)
            #expect(refused(520, in: replies))
        case .sftpAbsolutePathOutside:
            let replies = try sftpReplies(server, alice, RawSFTP.open(id: 2, "/etc/batchd-attack"))
            #expect(refused(2, in: replies))
        case .sftpControlBytesInName:
            let replies = try sftpReplies(server, alice, RawSFTP.open(id: 2, "ops/bell\u{07}\u{1B}[2J.txt"))
            #expect(refused(2, in: replies))
        case .scpOversizedFileHeader:
            let result = try exec(server, alice, ["scp", "-t", "ops/"], stdin: Array("C0644 99999999999999 x\n".utf8))
            #expect(!result.succeeded)
        case .scpBadMode:
            let result = try exec(server, alice, ["scp", "-t", "ops/"], stdin: Array("C9999 5 x\nhello\0".utf8))
            #expect(!result.succeeded)
        case .scpNameWithSlash:
            let result = try exec(server, alice, ["scp", "-t", "ops/"], stdin: Array("C0644 5 ../x\nhello\0".utf8))
            #expect(!result.succeeded)
        case .scpDirectoryDotDot:
            let result = try exec(server, alice, ["scp", "-r", "-t", "ops/"], stdin: Array("D0755 0 ..\nC0644 5 x\nhello\0E\n".utf8))
            #expect(!result.succeeded)
        case .scpUnknownCommand:
            let result = try exec(server, alice, ["scp", "-t", "ops/"], stdin: Array("X0644 5 x\n".utf8))
            #expect(!result.succeeded)
        case .scpStopsMidFile:
            _ = try exec(server, alice, ["scp", "-t", "ops/"], stdin: Array("C0644 10 half.txt\nhal".utf8))
            // Nothing is sealed with a partial file.
            usleep(300_000)
            #expect(try server.batches().allSatisfy { $0["state"] as? String != "sealed" })
        case .subscribeGarbageFrame:
            let bobKey = try server.makeBobKey()
            let result = try exec(server, bobKey, ["subscribe"], user: "bob", stdin: RawSFTP.u32(5) + Array("{{{{{".utf8))
            #expect(result.stdout.contains("error") || !result.stderr.isEmpty)
        case .subscribeOversizedFrame:
            let bobKey = try server.makeBobKey()
            let result = try exec(server, bobKey, ["subscribe"], user: "bob", stdin: RawSFTP.u32(0x7FFF_FFFF) + [0x7B])
            #expect(result.stdout.contains("error") || !result.stderr.isEmpty)
        case .subscribeAnswerForUnofferedBatch:
            let bobKey = try server.makeBobKey()
            let frame = Array(#"{"v":1,"type":"accept","batch":424242}"#.utf8)
            let result = try exec(server, bobKey, ["subscribe"], user: "bob", stdin: RawSFTP.u32(UInt32(frame.count)) + frame)
            #expect(result.stdout.contains("was not offered"))
        case .fetchMalformedArguments:
            let bobKey = try server.makeBobKey()
            for arguments in [["fetch"], ["fetch", "x", "0", "1"], ["fetch", "1", "-1", "2"], ["fetch", "1", "5", "2"]] {
                let result = try exec(server, bobKey, arguments, user: "bob", stdin: [])
                #expect(!result.succeeded, "\(arguments)")
            }
        case .fetchRangeBeyondPieces:
            let bobKey = try server.makeBobKey()
            let result = try exec(server, bobKey, ["fetch", "1", "0", "99999"], user: "bob", stdin: [])
            #expect(!result.succeeded)
        case .unknownExecCommand:
            let result = try exec(server, alice, ["rm", "-rf", "/"], stdin: [])
            #expect(!result.succeeded)
        }

        // Whatever happened, nothing escaped and the next client is served.
        #expect(server.isRunning, "batchd died:\n\(server.logText)")
        let outside = Tree.listing(server.directory).filter {
            $0.contains("escaped") || $0.hasSuffix("batchd-attack") || $0.hasSuffix("/link") || $0.hasSuffix("/hard")
        }
        #expect(outside.isEmpty, "\(outside)")
        #expect(!FileManager.default.fileExists(atPath: "/etc/batchd-attack"))
        let sample = server.directory.appendingPathComponent("next.txt")
        try Data("the next client\n".utf8).write(to: sample)
        try server.scp([sample.path, "alice@127.0.0.1:ops/"], key: alice).expectSuccess("scp after the attack")
    }

    // MARK: - Raw channels

    private func sftp(_ server: TestServer, _ key: String, _ bytes: [UInt8], initialize: Bool = true) throws -> ProcessResult {
        let input = (initialize ? RawSFTP.initialize : []) + bytes
        return try ProcessRunner.run(["ssh"] + server.sshOptions + ["-p", String(server.port), "-i", key, "-s", "alice@127.0.0.1", "sftp"],
                                     stdin: Data(input), timeout: 30)
    }

    private func sftpReplies(_ server: TestServer, _ key: String, _ bytes: [UInt8]) throws -> [RawSFTP.Reply] {
        RawSFTP.replies(in: try sftp(server, key, bytes).stdoutData)
    }

    /// Opens ops/f.bin (request 1), then sends what `then` builds from its
    /// handle, all in one session; returns every reply.
    private func sftpSession(_ server: TestServer, _ key: String, then: ([UInt8]) -> [UInt8]) throws -> [RawSFTP.Reply] {
        // Handles are small numbers as text; the first handle of a session
        // is predictable, so the follow-up can be sent in the same stream.
        let first = try sftpReplies(server, key, RawSFTP.open(id: 1, "ops/probe.bin"))
        let handle = try #require(first.first { $0.type == 102 }?.handle)
        return try sftpReplies(server, key, RawSFTP.open(id: 1, "ops/f.bin") + then(handle))
    }

    private func exec(_ server: TestServer, _ key: String, _ command: [String], user: String = "alice", stdin: [UInt8]) throws -> ProcessResult {
        try ProcessRunner.run(["ssh"] + server.sshOptions + ["-p", String(server.port), "-i", key, "\(user)@127.0.0.1"] + command,
                              stdin: Data(stdin), timeout: 30)
    }

    private func status(_ id: UInt32, in replies: [RawSFTP.Reply]) -> UInt32? {
        replies.first { $0.id == id && $0.type == 101 }?.status
    }

    /// The request got no handle and no OK: a failure STATUS, or the
    /// channel closed on a packet it could not parse.
    private func notGranted(_ id: UInt32, in replies: [RawSFTP.Reply]) -> Bool {
        !replies.contains { $0.id == id && ($0.type == 102 || ($0.type == 101 && $0.status == Self.ok)) }
    }

    /// The request got a failure STATUS (anything but OK), never a handle.
    private func refused(_ id: UInt32, in replies: [RawSFTP.Reply]) -> Bool {
        guard let reply = replies.first(where: { $0.id == id && $0.type != 2 }) else { return false }
        return reply.type == 101 && reply.status != Self.ok
    }
}

private extension TestServer {
    /// Bob's key (bob is a target in `withAliceBobAndOps`): a new one,
    /// registered for him.
    func makeBobKey() throws -> String {
        let key = try makeKey("bob-attack")
        try batchctl(["key", "add", "bob", "--key", key + ".pub"]).expectSuccess()
        return key
    }
}
