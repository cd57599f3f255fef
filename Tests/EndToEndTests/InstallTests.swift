import Foundation
import Testing

/// `make install DESTDIR=…` lays out the programs, man pages, example
/// configs and systemd units file by file, `make uninstall` takes every one
/// away again, and the installed units pass `systemd-analyze verify`.
@Suite struct InstallTests {
    /// The repository root, where the Makefile is.
    private static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Every file `make install PREFIX=/usr/local` adds, with its mode.
    private static let expected: [String: Int] = [
        "usr/local/bin/batchd": 0o755,
        "usr/local/bin/batchctl": 0o755,
        "usr/local/bin/batchd-recv": 0o755,
        "usr/local/share/man/man1/batchd-recv.1": 0o644,
        "usr/local/share/man/man5/batchd.conf.5": 0o644,
        "usr/local/share/man/man5/batchd-recv.conf.5": 0o644,
        "usr/local/share/man/man7/batchd-protocol.7": 0o644,
        "usr/local/share/man/man8/batchd.8": 0o644,
        "usr/local/share/man/man8/batchctl.8": 0o644,
        "etc/batchd/batchd.conf": 0o644,
        "etc/batchd/batchd-recv.conf": 0o644,
        "usr/local/lib/systemd/system/batchd.service": 0o644,
        "usr/local/lib/systemd/system/batchd-recv@.service": 0o644,
        "usr/local/lib/sysusers.d/batchd-recv.conf": 0o644,
    ]

    private let bin = TestServer.binDirectory()

    private func scratch() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("batchd-install-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Runs `make TARGET` on the repository with the binaries the tests use,
    /// so nothing is built.
    private func make(_ target: String, destination: URL) throws -> ProcessResult {
        try ProcessRunner.run(["make", "--no-print-directory", "-C", Self.root.path, target,
                               "DESTDIR=\(destination.path)", "PREFIX=/usr/local", "INSTALL_BIN=\(bin.path)"],
                              timeout: 30)
    }

    /// Every file or link under `directory`, as paths relative to it.
    private func files(under directory: URL) throws -> Set<String> {
        var found: Set<String> = []
        for path in FileManager.default.subpaths(atPath: directory.path) ?? [] {
            let attributes = try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(path).path)
            if attributes[.type] as? FileAttributeType != .typeDirectory { found.insert(path) }
        }
        return found
    }

    private func contents(_ url: URL) throws -> Data { try Data(contentsOf: url) }

    @Test func installLaysOutEveryFileAndUninstallRemovesThem() throws {
        let destination = try scratch()
        defer { try? FileManager.default.removeItem(at: destination) }

        let install = try make("install", destination: destination)
        #expect(install.succeeded, "make install: \(install.stderr)")
        #expect(try files(under: destination) == Set(Self.expected.keys))
        for (path, mode) in Self.expected {
            let attributes = try FileManager.default.attributesOfItem(atPath: destination.appendingPathComponent(path).path)
            #expect(attributes[.type] as? FileAttributeType == .typeRegular, "\(path) is not a regular file")
            #expect((attributes[.posixPermissions] as? Int) == mode,
                    "\(path) has mode \(String((attributes[.posixPermissions] as? Int) ?? 0, radix: 8))")
        }
        for program in ["batchd", "batchctl", "batchd-recv"] {
            #expect(try contents(destination.appendingPathComponent("usr/local/bin/\(program)"))
                == contents(bin.appendingPathComponent(program)), "\(program) differs from the built one")
        }
        for config in ["batchd.conf", "batchd-recv.conf"] {
            #expect(try contents(destination.appendingPathComponent("etc/batchd/\(config)"))
                == contents(Self.root.appendingPathComponent("etc/\(config)")), "\(config) differs from the example")
        }

        // The units name the installed programs and configs.
        let unitDirectory = destination.appendingPathComponent("usr/local/lib/systemd/system")
        let server = try String(contentsOf: unitDirectory.appendingPathComponent("batchd.service"), encoding: .utf8)
        #expect(server.contains("\nExecStart=/usr/local/bin/batchd --config /etc/batchd/batchd.conf --state %S/batchd\n"))
        #expect(server.contains("\nStateDirectory=batchd\n"))
        #expect(server.contains("\nLimitNOFILE=65536\n"))
        let receiver = try String(contentsOf: unitDirectory.appendingPathComponent("batchd-recv@.service"), encoding: .utf8)
        #expect(receiver.contains("\nExecStart=/usr/local/bin/batchd-recv --config /etc/batchd/recv/%i.conf"))
        #expect(receiver.contains("\nStateDirectory=batchd-recv/%i\n"))
        for unit in [server, receiver] {
            for setting in ["ProtectSystem=strict", "NoNewPrivileges=yes"] {
                #expect(unit.contains("\n\(setting)\n"), "a unit lacks \(setting)")
            }
        }
        #expect(server.contains("\nDynamicUser=yes\n"))
        // Receivers run as a user of their own whose group may read the inboxes.
        #expect(receiver.contains("\nUser=batchd-recv\nGroup=batchd-recv\n"))
        #expect(receiver.contains("\nStateDirectoryMode=0750\nUMask=0027\n"))
        let sysusers = try String(contentsOf: destination.appendingPathComponent("usr/local/lib/sysusers.d/batchd-recv.conf"), encoding: .utf8)
        #expect(sysusers.contains("\nu batchd-recv - \"batchd receivers\" /var/lib/batchd-recv\n"))

        // The installed examples are valid configs as shipped.
        let installedBin = destination.appendingPathComponent("usr/local/bin")
        let check = try ProcessRunner.run([installedBin.appendingPathComponent("batchd").path, "-t",
                                           "--config", destination.appendingPathComponent("etc/batchd/batchd.conf").path])
        #expect(check.status == 0, "batchd -t: \(check.stderr)")
        let receive = try ProcessRunner.run([installedBin.appendingPathComponent("batchd-recv").path,
                                             "--config", destination.appendingPathComponent("etc/batchd/batchd-recv.conf").path],
                                            timeout: 10)
        #expect(receive.status == 64 && receive.stderr.contains("--user is required"),
                "batchd-recv should read the example and then ask for a user: \(receive.stderr)")

        let uninstall = try make("uninstall", destination: destination)
        #expect(uninstall.succeeded, "make uninstall: \(uninstall.stderr)")
        let left = try files(under: destination)
        #expect(left.isEmpty, "left behind: \(left.sorted())")
        #expect(!FileManager.default.fileExists(atPath: destination.appendingPathComponent("etc/batchd").path))
    }

    @Test func changedConfigIsNeitherReplacedNorRemoved() throws {
        let destination = try scratch()
        defer { try? FileManager.default.removeItem(at: destination) }
        let config = destination.appendingPathComponent("etc/batchd/batchd.conf")
        try FileManager.default.createDirectory(at: config.deletingLastPathComponent(), withIntermediateDirectories: true)
        let mine = Data("ListenAddress 0.0.0.0:2222\n".utf8)
        try mine.write(to: config)

        let install = try make("install", destination: destination)
        #expect(install.succeeded, "make install: \(install.stderr)")
        #expect(install.stdout.contains("keeping \(config.path)"))
        #expect(try contents(config) == mine)
        #expect(try files(under: destination) == Set(Self.expected.keys))

        let uninstall = try make("uninstall", destination: destination)
        #expect(uninstall.succeeded, "make uninstall: \(uninstall.stderr)")
        #expect(try contents(config) == mine)
        #expect(try files(under: destination) == ["etc/batchd/batchd.conf"])
    }

    @Test func unitsPassSystemdAnalyzeVerify() throws {
        guard let analyze = try systemdAnalyze() else { return }
        let destination = try scratch()
        defer { try? FileManager.default.removeItem(at: destination) }
        let install = try make("install", destination: destination)
        try #require(install.succeeded, "make install: \(install.stderr)")

        // verify insists that ExecStart= names an executable, so the copies
        // point at the programs just installed under DESTDIR.
        let installed = destination.appendingPathComponent("usr/local/lib/systemd/system")
        let checked = destination.appendingPathComponent("verify")
        try FileManager.default.createDirectory(at: checked, withIntermediateDirectories: true)
        var units: [String] = []
        for (file, name) in [("batchd.service", "batchd.service"), ("batchd-recv@.service", "batchd-recv@example.service")] {
            let text = try String(contentsOf: installed.appendingPathComponent(file), encoding: .utf8)
                .replacingOccurrences(of: "/usr/local/bin/", with: destination.path + "/usr/local/bin/")
            let copy = checked.appendingPathComponent(name)
            try text.write(to: copy, atomically: true, encoding: .utf8)
            units.append(copy.path)
        }

        // Documentation= is checked with man(1), against the pages just installed.
        var environment = ProcessInfo.processInfo.environment
        environment["MANPATH"] = destination.appendingPathComponent("usr/local/share/man").path
        var argv = [analyze, "verify"]
        if Self.executable(named: "man") == nil { argv.append("--man=no") }
        let result = try ProcessRunner.run(argv + units, environment: environment, timeout: 30)
        #expect(result.status == 0 && result.stdout.isEmpty && result.stderr.isEmpty,
                "systemd-analyze verify (status \(result.status)): \(result.stdout)\(result.stderr)")
    }

    /// systemd-analyze, installed with apt-get when missing and possible;
    /// nil after recording an issue that says why it is not available.
    private func systemdAnalyze() throws -> String? {
        if let path = Self.executable(named: "systemd-analyze") { return path }
        guard getuid() == 0, let aptGet = Self.executable(named: "apt-get") else {
            Issue.record("systemd-analyze is missing and cannot be installed here (not root or no apt-get); install the Debian package systemd")
            return nil
        }
        var environment = ProcessInfo.processInfo.environment
        environment["DEBIAN_FRONTEND"] = "noninteractive"
        let installArgv = [aptGet, "install", "-y", "-qq", "--no-install-recommends", "systemd"]
        var result = try ProcessRunner.run(installArgv, environment: environment, timeout: 120)
        if !result.succeeded {
            _ = try ProcessRunner.run([aptGet, "update", "-qq"], environment: environment, timeout: 120)
            result = try ProcessRunner.run(installArgv, environment: environment, timeout: 120)
        }
        if let path = Self.executable(named: "systemd-analyze") { return path }
        Issue.record("systemd-analyze is missing and apt-get install systemd failed (status \(result.status)): \(result.stderr)")
        return nil
    }

    private static func executable(named name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") + ["/usr/sbin", "/usr/bin", "/bin"] {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
