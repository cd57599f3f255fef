import Foundation
import SSHKit
import Locking
import Testing

@Suite(.serialized, .timeLimit(.minutes(5)))
struct SSHClientSessionTests {
    @Test func execEchoesBytesAndReportsExitStatus() throws {
        let fixture = try Fixture()
        defer { fixture.tearDown() }
        let session = try fixture.connect()
        #expect(session.isConnected)
        #expect(session.serverHostKey == fixture.server.hostKey.publicKey)
        #expect(session.serverFingerprint == fixture.server.hostKey.fingerprint)

        let channel = try session.exec("echo")
        try channel.write(Array("hello, batchd".utf8))
        var buffer = [UInt8](repeating: 0, count: 64)
        var echoed: [UInt8] = []
        let deadline = Date().addingTimeInterval(10)
        while echoed.count < 13 && Date() < deadline {
            let count = try buffer.withUnsafeMutableBytes { try channel.read(into: $0, timeout: 1) }
            echoed.append(contentsOf: buffer[0..<(try #require(count))])
        }
        #expect(String(decoding: echoed, as: UTF8.self) == "hello, batchd")
        #expect(channel.exitStatus == nil)

        try channel.sendEOF()
        #expect(try channel.readAll().isEmpty)
        #expect(channel.exitStatus == 5)
        channel.close()
        channel.close()
        session.close()
    }

    /// Requests are handled on threads marked as loops', so a debug build
    /// stops at any blocking call made there (`LoopThread.mayBlock`).
    @Test func requestsAreHandledOnMarkedLoopThreads() throws {
        let fixture = try Fixture()
        defer { fixture.tearDown() }
        let session = try fixture.connect()
        let channel = try session.exec("thread")
        #expect(String(decoding: try channel.readAll(), as: UTF8.self) == "loop")
        #expect(!LoopThread.isCurrent)
        channel.close()
        session.close()
    }

    @Test func readReturnsZeroWhenNothingArrivesInTime() throws {
        let fixture = try Fixture()
        defer { fixture.tearDown() }
        let session = try fixture.connect()
        let channel = try session.exec("echo")
        var buffer = [UInt8](repeating: 0, count: 16)
        let start = Date()
        let count = try buffer.withUnsafeMutableBytes { try channel.read(into: $0, timeout: 0.3) }
        #expect(count == 0)
        #expect(Date().timeIntervalSince(start) >= 0.25)
    }

    @Test func largePayloadArrivesWholeAndInOrder() throws {
        let fixture = try Fixture()
        defer { fixture.tearDown() }
        let session = try fixture.connect()
        let size = 50_000_000
        let channel = try session.exec("payload \(size)")
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var received = 0
        var intact = true
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline {
            let count = try buffer.withUnsafeMutableBytes { try channel.read(into: $0, timeout: 5) }
            guard let count else { break }
            if intact {
                intact = buffer.withUnsafeBytes { Pattern.matches(UnsafeRawBufferPointer(rebasing: $0[0..<count]), at: received) }
            }
            received += count
        }
        #expect(received == size)
        #expect(intact)
        #expect(channel.exitStatus == 3)
    }

    @Test func largeWriteIsDeliveredWhole() throws {
        let fixture = try Fixture()
        defer { fixture.tearDown() }
        let session = try fixture.connect()
        let channel = try session.exec("digest")
        // Several times the server's receive window, so the write must wait
        // for window adjustments. (An echo would stall: a server stops
        // reading while replies the client does not read pile up.)
        let sent = Pattern.bytes(at: 17, count: 8_000_000)
        try channel.write(sent)
        try channel.sendEOF()
        let expected = sent.withUnsafeBytes { "\(sent.count) \(Digest.fold($0, into: Digest.offset))\n" }
        #expect(String(decoding: try channel.readAll(), as: UTF8.self) == expected)
        #expect(channel.exitStatus == 5)
    }

    @Test func channelsOfOneSessionInterleave() throws {
        let fixture = try Fixture()
        defer { fixture.tearDown() }
        let session = try fixture.connect()
        let size = 3_000_000
        let channels = try [session.exec("payload \(size)"), session.exec("payload \(size)")]
        var received = [0, 0]
        var intact = [true, true]
        var done = [false, false]
        var buffer = [UInt8](repeating: 0, count: 100_000)
        let deadline = Date().addingTimeInterval(30)
        while done.contains(false) && Date() < deadline {
            for index in channels.indices where !done[index] {
                let count = try buffer.withUnsafeMutableBytes { try channels[index].read(into: $0, timeout: 0.2) }
                guard let count else {
                    done[index] = true
                    continue
                }
                let offset = received[index]
                intact[index] = intact[index]
                    && buffer.withUnsafeBytes { Pattern.matches(UnsafeRawBufferPointer(rebasing: $0[0..<count]), at: offset) }
                received[index] += count
            }
        }
        #expect(received == [size, size])
        #expect(intact == [true, true])
        #expect(channels.map(\.exitStatus) == [3, 3])
    }

    /// The sessions share the server's single event loop, which is where
    /// re-entrant writes would corrupt streams.
    @Test func sessionsOnSeparateThreadsRunAtOnce() throws {
        let fixture = try Fixture()
        defer { fixture.tearDown() }
        let configuration = fixture.configuration()
        let size = 2_000_000
        let totals = Locked<[String]>([])
        let finished = DispatchSemaphore(value: 0)
        let threads = 4
        for _ in 0..<threads {
            Thread {
                var outcome: String
                do {
                    let session = try SSHClientSession(configuration: configuration)
                    defer { session.close() }
                    let channel = try session.exec("payload \(size)")
                    var total = 0
                    var intact = true
                    var buffer = [UInt8](repeating: 0, count: 1 << 16)
                    while let count = try buffer.withUnsafeMutableBytes({ try channel.read(into: $0, timeout: 10) }) {
                        let offset = total
                        intact = intact && buffer.withUnsafeBytes {
                            Pattern.matches(UnsafeRawBufferPointer(rebasing: $0[0..<count]), at: offset)
                        }
                        total += count
                    }
                    outcome = intact ? "\(total)" : "\(total) corrupted"
                } catch {
                    outcome = "\(error)"
                }
                totals.withLock { $0.append(outcome) }
                finished.signal()
            }.start()
        }
        for _ in 0..<threads {
            #expect(finished.wait(timeout: .now() + 60) == .success)
        }
        #expect(totals.withLock { $0 } == Array(repeating: "\(size)", count: threads))
    }

    @Test func serverClosingTheChannelEndsReadsWithNil() throws {
        let fixture = try Fixture()
        defer { fixture.tearDown() }
        let session = try fixture.connect()
        let channel = try session.exec("payload 1000")
        #expect(try channel.readAll().count == 1000)
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(try buffer.withUnsafeMutableBytes { try channel.read(into: $0, timeout: 1) } == nil)
        #expect(channel.exitStatus == 3)
        // The session stays usable for other channels.
        let next = try session.exec("payload 10")
        #expect(try next.readAll().count == 10)
    }

    @Test func standardErrorAndExitStatusOfAFailedCommandAreKept() throws {
        let fixture = try Fixture()
        defer { fixture.tearDown() }
        let session = try fixture.connect()
        let channel = try session.exec("fail")
        #expect(try channel.readAll().isEmpty)
        #expect(channel.stderrText == "batch 42 does not exist\n")
        #expect(channel.exitStatus == 7)
    }

    @Test func refusedExecReportsWhatTheServerSaid() throws {
        let fixture = try Fixture()
        defer { fixture.tearDown() }
        let session = try fixture.connect()
        let error = #expect(throws: SSHKitError.self) { try session.exec("refuse") }
        guard case .channel(let reason) = error else {
            Issue.record("expected a channel error, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("refused to run `refuse`"))
        // A refusal closes only that channel.
        #expect(try session.exec("payload 5").readAll().count == 5)
    }

    @Test(arguments: ["ed25519", "ecdsa", "rsa"])
    func everyOpenSSHKeyTypeAuthenticates(type: String) throws {
        let fixture = try Fixture()
        defer { fixture.tearDown() }
        let path = fixture.folder + "/id_\(type)_other"
        let key = try Fixture.makeKey(type: type, at: path)
        fixture.server.stop()
        fixture.server = try TestServer(hostKeyPath: fixture.folder + "/host_key", authorized: [key])
        let session = try fixture.connect(identity: path)
        #expect(try session.exec("payload 100").readAll() == Pattern.bytes(at: 0, count: 100))
    }

    @Test func unregisteredKeyIsRefused() throws {
        let fixture = try Fixture()
        defer { fixture.tearDown() }
        let stranger = fixture.folder + "/id_stranger"
        _ = try Fixture.makeKey(type: "ed25519", at: stranger)
        #expect(throws: SSHKitError.authenticationFailed(user: TestServer.user, host: "127.0.0.1")) {
            try fixture.connect(identity: stranger)
        }
    }

    @Test func missingOrBrokenIdentityIsReportedBeforeConnecting() throws {
        let fixture = try Fixture()
        defer { fixture.tearDown() }
        let missing = fixture.folder + "/nope"
        #expect(throws: SSHKitError.identityUnreadable(path: missing, reason: "No such file or directory")) {
            try fixture.connect(identity: missing)
        }
        let broken = fixture.folder + "/broken"
        try "not a key\n".write(toFile: broken, atomically: true, encoding: .utf8)
        let error = #expect(throws: SSHKitError.self) { try fixture.connect(identity: broken) }
        guard case .identityUnreadable(let path, _) = error else {
            Issue.record("expected identityUnreadable, got \(String(describing: error))")
            return
        }
        #expect(path == broken)
    }

    @Test func refusedConnectionIsAConnectError() throws {
        let fixture = try Fixture()
        defer { fixture.tearDown() }
        let port = try Fixture.unusedPort()
        let error = #expect(throws: SSHKitError.self) {
            try SSHClientSession(configuration: fixture.configuration(port: port))
        }
        guard case .connect(let host, let reportedPort, _) = error else {
            Issue.record("expected a connect error, got \(String(describing: error))")
            return
        }
        #expect(host == "127.0.0.1" && reportedPort == port)
    }

    @Test func silentServerTimesOutWithinConnectTimeout() throws {
        let fixture = try Fixture()
        defer { fixture.tearDown() }
        // A stopped server still holds its socket: the kernel accepts the
        // connection, and nobody ever answers.
        fixture.server.stop()
        var configuration = fixture.configuration()
        configuration.connectTimeout = 1
        let start = Date()
        let error = #expect(throws: SSHKitError.self) { try SSHClientSession(configuration: configuration) }
        guard case .connect = error else {
            Issue.record("expected a connect error, got \(String(describing: error))")
            return
        }
        #expect(Date().timeIntervalSince(start) < 4)
    }

    @Test func closingTheSessionMakesItsChannelsUnusable() throws {
        let fixture = try Fixture()
        defer { fixture.tearDown() }
        let session = try fixture.connect()
        let channel = try session.exec("echo")
        session.close()
        session.close()
        #expect(!session.isConnected)
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(throws: SSHKitError.channelClosed) {
            try buffer.withUnsafeMutableBytes { try channel.read(into: $0, timeout: 0.1) }
        }
        #expect(throws: SSHKitError.channelClosed) { try channel.write([1, 2, 3]) }
        #expect(throws: SSHKitError.channelClosed) { try session.exec("echo") }
        #expect(channel.exitStatus == nil)
        channel.close()
    }

    @Test func serverGoingAwayEndsTheStreamAndTheSession() throws {
        let fixture = try Fixture()
        defer { fixture.tearDown() }
        let session = try fixture.connect()
        let channel = try session.exec("echo")
        fixture.server.stop()
        // The server closes its channels, then disconnects; the reader sees
        // whichever arrives first: the end of the stream, or a lost connection.
        var buffer = [UInt8](repeating: 0, count: 16)
        var ended = false
        let deadline = Date().addingTimeInterval(10)
        while !ended && Date() < deadline {
            do {
                ended = try buffer.withUnsafeMutableBytes { try channel.read(into: $0, timeout: 0.5) } == nil
            } catch let error as SSHKitError {
                guard case .channel(let reason) = error else {
                    Issue.record("expected a channel error, got \(error)")
                    return
                }
                #expect(reason.contains("connection to 127.0.0.1 was lost"))
                ended = true
            }
        }
        #expect(ended)
        #expect(throws: SSHKitError.self) { try session.exec("echo") }
        #expect(!session.isConnected)
    }
}
