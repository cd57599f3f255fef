import Foundation
import Testing

/// `batchctl host-key` prints what targets pin.
@Suite struct HostKeyCommandTests {
    @Test func hostKeyIsReadFromTheConfiguredPathWithItsFingerprint() throws {
        let harness = try AdminHarness()
        _ = try harness.file("hostkey.pub", sampleKeyLine(0, comment: "batchd-host-key") + "\n")
        let config = try harness.file("batchd.conf", "StateDirectory \(harness.state)\nHostKey \(harness.directory)/hostkey\n")
        let result = harness.runRaw(["--config", config, "host-key"])
        #expect(result.status == 0, "\(result.errors)")
        let lines = result.output.split(separator: "\n")
        #expect(lines.first == "SHA256:kmYcvdi2GkPeWxB6XLjrZB8JHsy2Hm8luHMFp9GMvqk (ssh-ed25519)")
        #expect(lines.last?.hasPrefix("ssh-ed25519 AAAA") == true)
        let json = harness.runRaw(["--config", config, "host-key", "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        #expect(object["fingerprint"] as? String == "SHA256:kmYcvdi2GkPeWxB6XLjrZB8JHsy2Hm8luHMFp9GMvqk")
    }

    @Test func missingHostKeyExplainsWhereItComesFrom() throws {
        let harness = try AdminHarness()
        let config = try harness.file("batchd.conf", "StateDirectory \(harness.state)\nHostKey \(harness.directory)/none\n")
        let result = harness.runRaw(["--config", config, "host-key"])
        #expect(result.status == 66)
        #expect(result.errors.contains("batchd creates it on first start"))
        #expect(result.errors.split(separator: "\n").count == 1)
    }
}
