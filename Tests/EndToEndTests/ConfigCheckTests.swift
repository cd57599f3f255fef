import Foundation
import Testing

/// `batchd -t` names every error with its file, line and keyword; `-T`
/// prints the effective settings.
@Suite struct ConfigCheckTests {
    private func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("batchd-\(UUID().uuidString).conf").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private var batchd: String { TestServer.binDirectory().appendingPathComponent("batchd").path }

    @Test func checkReportsEveryBadLineAndFails() throws {
        let path = try write("ListenAddress 127.0.0.1:2300\nListn foo\nPieceSize 3\nMaxAuthTries many\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try ProcessRunner.run([batchd, "-t", "--config", path])
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0].contains("\(path) line 2: unknown keyword 'Listn'"))
        #expect(lines[1].contains("line 3") && lines[1].contains("PieceSize"))
        #expect(lines[2].contains("line 4") && lines[2].contains("MaxAuthTries"))
    }

    @Test func goodConfigChecksCleanAndPrintsEffectiveSettings() throws {
        let path = try write("# comment\nListenAddress 127.0.0.1:2300\nStrategy latency\nPieceSize 1M\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let check = try ProcessRunner.run([batchd, "-t", "--config", path])
        #expect(check.status == 0)
        #expect(check.stderr.isEmpty)
        let effective = try ProcessRunner.run([batchd, "-T", "--config", path])
        #expect(effective.status == 0)
        #expect(effective.stdout.contains("listenaddress 127.0.0.1:2300\n"))
        #expect(effective.stdout.contains("strategy latency\n"))
        #expect(effective.stdout.contains("piecesize 1048576\n"))
        #expect(effective.stdout.contains("maxauthtries 6\n"))
        #expect(effective.stdout.contains("persourcemaxstartups none\n"))
        #expect(effective.stdout.contains("logformat text\n"))
        #expect(effective.stdout.contains("persourcepenalties authfail:5 noauth:1 grace-exceeded:20 min:15 max:600\n"))
    }

    @Test func perSourceLimitsParseAndBadOnesAreNamed() throws {
        let good = try write("PerSourceMaxStartups 4\nPerSourcePenalties authfail:2 min:3\nLogFormat json\n")
        defer { try? FileManager.default.removeItem(atPath: good) }
        let effective = try ProcessRunner.run([batchd, "-T", "--config", good])
        #expect(effective.status == 0)
        #expect(effective.stdout.contains("persourcemaxstartups 4\n"))
        #expect(effective.stdout.contains("logformat json\n"))
        #expect(effective.stdout.contains("persourcepenalties authfail:2 noauth:1 grace-exceeded:20 min:3 max:600\n"))

        let off = try write("PerSourcePenalties no\n")
        defer { try? FileManager.default.removeItem(atPath: off) }
        #expect(try ProcessRunner.run([batchd, "-T", "--config", off]).stdout.contains("persourcepenalties no\n"))

        let bad = try write("PerSourcePenalties authfail:x\nPerSourceMaxStartups 0\nPerSourcePenalties min:30 max:10\n")
        defer { try? FileManager.default.removeItem(atPath: bad) }
        let result = try ProcessRunner.run([batchd, "-t", "--config", bad])
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines.first?.contains("line 1") == true && lines.first?.contains("authfail:x") == true)
        #expect(lines.dropFirst().first?.contains("PerSourceMaxStartups") == true)
        #expect(lines.last?.contains("min no greater than max") == true)
    }

    @Test func algorithmListsTakeSshdsListSyntaxAndNameWhatIsUnknown() throws {
        let path = try write("""
            MACs -hmac-sha2-256,hmac-sha2-512
            Ciphers ^aes128-ctr
            KexAlgorithms +diffie-hellman-group14-sha256
            HostKeyAlgorithms ssh-ed25519
            """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let effective = try ProcessRunner.run([batchd, "-T", "--config", path])
        #expect(effective.status == 0, "\(effective.stderr)")
        #expect(effective.stdout.contains("macs hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com\n"))
        #expect(effective.stdout.contains(
            "ciphers aes128-ctr,chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr\n"))
        #expect(effective.stdout.contains("kexalgorithms curve25519-sha256,curve25519-sha256@libssh.org,"
            + "diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256\n"))
        // No RSA algorithm offered: no RSA host key either.
        #expect(effective.stdout.contains("hostkeyalgorithms ssh-ed25519\n"))
        #expect(!effective.stdout.contains("ssh_host_rsa_key"))

        let bad = try write("MACs +hmac-md5\nCiphers -*\nKexAlgorithms sntrup\nHostKeyAlgorithms ssh-ed25519,\n")
        defer { try? FileManager.default.removeItem(atPath: bad) }
        let check = try ProcessRunner.run([batchd, "-t", "--config", bad])
        #expect(check.status == 1)
        let lines = check.stderr.split(separator: "\n")
        #expect(lines.count == 4, "\(check.stderr)")
        #expect(lines.first?.contains("hmac-md5") == true && lines.first?.contains("hmac-sha2-512-etm@openssh.com") == true,
                "the error lists what is supported: \(check.stderr)")
        #expect(lines.dropFirst().first?.contains("at least one") == true, "\(check.stderr)")
    }

    @Test func metricsListenTakesOnlyLoopbackAddresses() throws {
        let bad = try write("MetricsListen 127.0.0.1:9100\nMetricsListen 0.0.0.0:9100\nMetricsListen *:9100\nMetricsListen 192.0.2.7:9100\n")
        defer { try? FileManager.default.removeItem(atPath: bad) }
        let result = try ProcessRunner.run([batchd, "-t", "--config", bad])
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        for (index, (line, value)) in zip(lines, ["0.0.0.0:9100", "*:9100", "192.0.2.7:9100"]).enumerated() {
            #expect(line.contains("\(bad) line \(index + 2): bad value '\(value)' for 'MetricsListen'"), "\(line)")
            #expect(line.contains("loopback"))
        }

        let good = try write("MetricsListen [::1]:9100\n")
        defer { try? FileManager.default.removeItem(atPath: good) }
        #expect(try ProcessRunner.run([batchd, "-t", "--config", good]).status == 0)
        #expect(try ProcessRunner.run([batchd, "-T", "--config", good]).stdout.contains("metricslisten [::1]:9100\n"))
        let none = try write("StateDirectory ./x\n")
        defer { try? FileManager.default.removeItem(atPath: none) }
        #expect(try ProcessRunner.run([batchd, "-T", "--config", none]).stdout.contains("metricslisten none\n"))
    }

    @Test func matchTopicBlocksSetTopicPoliciesAndOnlyThose() throws {
        let good = try write("""
            Retention 30d
            SourceQuota 10G
            Match Topic ops,reports-*,!reports-test
                Retention 7d
                MaxBatchSize 1G
                PreSealHook "/usr/local/bin/scan --quiet"
                PreSealTimeout 5m
            Match All
            MaxFileSize 2G
            """)
        defer { try? FileManager.default.removeItem(atPath: good) }
        #expect(try ProcessRunner.run([batchd, "-t", "--config", good]).status == 0)
        let effective = try ProcessRunner.run([batchd, "-T", "--config", good]).stdout
        #expect(effective.contains("maxfilesize 2147483648\n"), "Match All ends the block")
        #expect(effective.contains("retention 2592000\nmaxbatchsize 68719476736\nsourcequota 10737418240\npresealhook none\npresealtimeout 60\n"),
                "\(effective)")
        #expect(effective.contains("""
            match topic ops,reports-*,!reports-test
                retention 604800
                maxbatchsize 1073741824
                presealhook /usr/local/bin/scan --quiet
                presealtimeout 300
            """), "\(effective)")

        let bad = try write("""
            Match Topic ops
                ListenAddress 127.0.0.1:2300
                Retention 0
                SourceQuota lots
            Match User bob
            Match Topic
            """)
        defer { try? FileManager.default.removeItem(atPath: bad) }
        let result = try ProcessRunner.run([batchd, "-t", "--config", bad])
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count == 5, "\(result.stderr)")
        #expect(lines.first?.contains("line 2: 'ListenAddress' cannot be set inside a Match block; only Retention,") == true)
        #expect(lines.dropFirst().first?.contains("line 3: bad value '0' for 'Retention'") == true)
        #expect(lines.dropFirst(2).first?.contains("line 4: bad value 'lots' for 'SourceQuota'") == true)
        #expect(lines.dropFirst(3).first?.contains("line 5: bad value 'User bob' for 'Match'") == true)
        #expect(lines.dropFirst(4).first?.contains("line 6: bad value 'Topic' for 'Match'") == true)
    }
}
