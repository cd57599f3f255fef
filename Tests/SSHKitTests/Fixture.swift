import Foundation
import SSHKit
import Testing

/// Deterministic payload bytes: a random block of prime length repeated, so
/// a lost, doubled or reordered chunk never lines up with the original.
enum Pattern {
    static let block: [UInt8] = {
        var generator = SystemRandomNumberGenerator()
        return (0..<1_000_003).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }()

    static func bytes(at offset: Int, count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        var position = offset % block.count
        while out.count < count {
            let take = min(count - out.count, block.count - position)
            out.append(contentsOf: block[position..<(position + take)])
            position = 0
        }
        return out
    }

    static func matches(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        bytes.elementsEqual(Pattern.bytes(at: offset, count: bytes.count))
    }
}

/// A private temporary folder with a user key pair and a running server.
final class Fixture {
    let folder: String
    let userKeyPath: String
    let userKey: SSHPublicKey
    var server: TestServer

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("sshkit-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        userKeyPath = folder + "/id_ed25519"
        userKey = try Fixture.makeKey(type: "ed25519", at: userKeyPath)
        server = try TestServer(hostKeyPath: folder + "/host_key", authorized: [userKey])
    }

    /// Stops the server and removes the folder.
    func tearDown() {
        server.stop()
        do {
            try FileManager.default.removeItem(atPath: folder)
        } catch {
            Issue.record("cannot remove \(folder): \(error)")
        }
    }

    var knownHostsPath: String { folder + "/config/known_hosts" }

    func configuration(
        policy: HostKeyPolicy? = nil, identity: String? = nil, port: Int? = nil
    ) -> SSHClientConfiguration {
        var configuration = SSHClientConfiguration(
            host: "127.0.0.1", port: port ?? server.port, user: TestServer.user,
            identityPath: identity ?? userKeyPath,
            hostKeyPolicy: policy ?? .pinned(server.hostKey.publicKey))
        configuration.connectTimeout = 5
        return configuration
    }

    func connect(policy: HostKeyPolicy? = nil, identity: String? = nil) throws(SSHKitError) -> SSHClientSession {
        try SSHClientSession(configuration: configuration(policy: policy, identity: identity))
    }

    /// A loopback port nothing listens on: bound, read back, then released.
    static func unusedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        try #require(bound)
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Makes an unencrypted key pair with `ssh-keygen` and returns its public half.
    static func makeKey(type: String, at path: String) throws -> SSHPublicKey {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ssh-keygen")
        process.standardInput = FileHandle.nullDevice
        process.arguments = ["-q", "-t", type, "-N", "", "-C", "test", "-f", path] + (type == "rsa" ? ["-b", "3072"] : [])
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "ssh-keygen -t \(type) failed")
        let fields = try String(contentsOfFile: path + ".pub", encoding: .utf8).split(separator: " ")
        try #require(fields.count >= 2)
        return SSHPublicKey(type: String(fields[0]), base64: String(fields[1]))
    }
}

extension SSHClientChannel {
    /// Reads standard output until EOF, failing past `timeout` seconds.
    func readAll(timeout: Double = 20) throws -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let count = try buffer.withUnsafeMutableBytes { try read(into: $0, timeout: 1) }
            guard let count else { return out }
            out.append(contentsOf: buffer[0..<count])
        }
        Issue.record("no EOF within \(timeout) s")
        return out
    }
}
