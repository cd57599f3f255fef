import Foundation
import SSHKit
import Synchronization
import Testing

struct ZZExperiment {
    @Test(arguments: [false, true])
    func concurrentSessions(separateServers: Bool) throws {
        let fixture = try Fixture()
        defer { fixture.tearDown() }
        var servers: [TestServer] = []
        var configurations: [SSHClientConfiguration] = []
        for i in 0..<4 {
            if separateServers {
                let server = try TestServer(hostKeyPath: fixture.folder + "/hk\(i)", authorized: [fixture.userKey])
                servers.append(server)
                var c = fixture.configuration(port: server.port)
                c.hostKeyPolicy = .pinned(server.hostKey.publicKey)
                configurations.append(c)
            } else {
                configurations.append(fixture.configuration())
            }
        }
        defer { servers.forEach { $0.stop() } }
        let size = 2_000_000
        let totals = Mutex<[String]>([])
        let finished = DispatchSemaphore(value: 0)
        for configuration in configurations {
            Thread {
                var outcome: String
                do {
                    let session = try SSHClientSession(configuration: configuration)
                    defer { session.close() }
                    let channel = try session.exec("payload \(size)")
                    var total = 0
                    var bad = -1
                    var buffer = [UInt8](repeating: 0, count: 1 << 16)
                    while let count = try buffer.withUnsafeMutableBytes({ try channel.read(into: $0, timeout: 10) }) {
                        let ok = buffer.withUnsafeBytes { Pattern.matches(UnsafeRawBufferPointer(rebasing: $0[0..<count]), at: total) }
                        if !ok && bad < 0 { bad = total }
                        total += count
                    }
                    outcome = "\(total) bad@\(bad) status \(String(describing: channel.exitStatus))"
                } catch {
                    outcome = "\(error)"
                }
                totals.withLock { $0.append(outcome) }
                finished.signal()
            }.start()
        }
        for _ in 0..<4 { _ = finished.wait(timeout: .now() + 30) }
        print("RESULT separate=\(separateServers)", totals.withLock { $0 })
    }
}
