import Foundation
import Testing

/// ssh-audit, the SSH server auditor, against a running batchd: no
/// algorithm it rates as failing, no known vulnerability, and exactly the
/// pinned algorithms on offer. The one warning it may give is that no key
/// exchange resists a quantum computer, which libssh 0.10 cannot offer.
///
/// ssh-audit 3.9.0 comes from PyPI (`make test` fetches it into
/// `.build/tools`): Debian 12's 2.5.0 compares libssh versions as strings
/// and reports CVE-2016-0739, fixed in libssh 0.7.3, against 0.10.
// Five minutes: ssh-audit makes several connections, each a key
// exchange, which takes long on a sanitized build under load.
@Suite(.timeLimit(.minutes(5)))
struct SSHAuditTests {
    private static let version = "3.9.0"

    /// The ssh-audit wheel `make test` puts in `.build/tools`; Python runs
    /// it straight from the zip.
    private static func wheel() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let path = root.appendingPathComponent(".build/tools/ssh_audit-\(version)-py3-none-any.whl").path
        try #require(FileManager.default.fileExists(atPath: path),
                     "ssh-audit \(version) is missing at \(path): `make test` fetches it from PyPI")
        return path
    }

    /// What ssh-audit said of each algorithm in one section of its JSON.
    private struct Finding {
        let algorithm: String
        let failures: [String]
        let warnings: [String]
    }

    private func findings(_ report: [String: Any], _ section: String) -> [Finding] {
        (report[section] as? [[String: Any]] ?? []).map { entry in
            let notes = entry["notes"] as? [String: Any] ?? [:]
            return Finding(algorithm: entry["algorithm"] as? String ?? "?",
                           failures: notes["fail"] as? [String] ?? [],
                           warnings: notes["warn"] as? [String] ?? [])
        }
    }

    @Test func auditFindsNoFailureNoVulnerabilityAndOnlyThePinnedAlgorithms() throws {
        let wheel = try Self.wheel()
        let server = try TestServer()
        defer { server.stop() }
        try server.start()
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONPATH"] = wheel
        let result = try ProcessRunner.run(
            ["python3", "-m", "ssh_audit.ssh_audit", "--json", "--timeout=60", "-p", String(server.port), "127.0.0.1"],
            environment: environment, timeout: 240)
        let parsed = try? JSONSerialization.jsonObject(with: result.stdoutData)
        let report = try #require(parsed as? [String: Any], "ssh-audit gave no JSON report:\n\(result.stdout)\(result.stderr)")

        let sections = ["kex", "key", "enc", "mac"]
        let all = sections.flatMap { findings(report, $0) }
        let failing = all.filter { !$0.failures.isEmpty }.map { "\($0.algorithm): \($0.failures)" }
        #expect(failing.isEmpty, "ssh-audit rates these as failing: \(failing)")
        // Accepted: no post-quantum key exchange yet, and encrypt-and-MAC
        // for the plain hmac-sha2 MACs that libssh2 before 1.11 needs
        // (OpenSSH's own defaults offer them too).
        let encryptAndMAC = ["hmac-sha2-256", "hmac-sha2-512"]
        let warned = all.flatMap { finding in
            finding.warnings.filter { warning in
                !warning.contains("post-quantum") && !(encryptAndMAC.contains(finding.algorithm) && warning.contains("encrypt-and-MAC"))
            }.map { "\(finding.algorithm): \($0)" }
        }
        #expect(warned.isEmpty, "unexpected warnings: \(warned)")
        let cves = report["cves"] as? [Any] ?? []
        #expect(cves.isEmpty, "ssh-audit names known vulnerabilities: \(cves)")
        #expect((report["compression"] as? [String]) == ["none"])

        #expect(findings(report, "kex").map(\.algorithm) == [
            "curve25519-sha256", "curve25519-sha256@libssh.org",
            "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512",
            "kex-strict-s-v00@openssh.com",
        ])
        #expect(findings(report, "key").map(\.algorithm) == ["ssh-ed25519", "rsa-sha2-512", "rsa-sha2-256"])
        #expect(findings(report, "enc").map(\.algorithm) == [
            "chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com",
            "aes256-ctr", "aes192-ctr", "aes128-ctr",
        ])
        #expect(findings(report, "mac").map(\.algorithm) == [
            "hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-sha2-256", "hmac-sha2-512",
        ])
    }
}
