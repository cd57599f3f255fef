import BatchServer
import BatchStore
import Testing

@Suite struct BatchctlUsageTests {
    private func expectOneLineUsageError(_ result: AdminHarness.Result, mentioning word: String) {
        #expect(result.status == 64)
        #expect(result.output == "")
        #expect(result.errors.hasPrefix("batchctl: "))
        #expect(result.errors.hasSuffix("\n"))
        #expect(result.errors.filter { $0 == "\n" }.count == 1, "not one line: \(result.errors)")
        #expect(result.errors.contains(word), "\(result.errors)")
    }

    @Test func unknownSubcommandIsAOneLineUsageError() throws {
        let harness = try AdminHarness()
        expectOneLineUsageError(harness.run(["frobnicate"]), mentioning: "frobnicate")
    }

    @Test func missingArgumentIsAOneLineUsageError() throws {
        let harness = try AdminHarness()
        expectOneLineUsageError(harness.run(["user", "remove"]), mentioning: "name")
    }

    @Test func unknownRoleIsAOneLineUsageError() throws {
        let harness = try AdminHarness()
        let keys = try harness.keyFile("bob")
        expectOneLineUsageError(harness.run(["user", "add", "bob", "--role", "boss", "--key", keys]), mentioning: "boss")
    }

    @Test func groupWithoutSubcommandIsAUsageError() throws {
        let harness = try AdminHarness()
        expectOneLineUsageError(harness.run(["topic"]), mentioning: "subscribe")
    }

    @Test func subscribeWithoutUsersIsAUsageError() throws {
        let harness = try AdminHarness()
        expectOneLineUsageError(harness.run(["topic", "subscribe", "ops"]), mentioning: "user")
    }

    @Test func configAndStateTogetherAreAUsageError() throws {
        let harness = try AdminHarness()
        expectOneLineUsageError(harness.runRaw(["--config", "x.conf", "--state", "y", "stats"]), mentioning: "--config")
    }

    @Test func nonNumericBatchIdIsAUsageError() throws {
        let harness = try AdminHarness()
        expectOneLineUsageError(harness.run(["batch", "show", "seven"]), mentioning: "seven")
    }

    @Test func helpGoesToOutputAndExitsZero() throws {
        let harness = try AdminHarness()
        let result = harness.run(["--help"])
        #expect(result.status == 0)
        #expect(result.errors == "")
        #expect(result.output.contains("USAGE: batchctl"))
        #expect(result.output.contains("topic"))
        let sub = harness.run(["user", "add", "--help"])
        #expect(sub.status == 0)
        #expect(sub.output.contains("--role"))
    }

    @Test func remoteRunRefusesStateAndConfig() throws {
        let harness = try AdminHarness()
        let catalogue = try harness.catalogue()
        var errors = ""
        let status = Batchctl.runRemote(
            arguments: ["--state", "/elsewhere", "stats"], catalogue: catalogue, layout: StateLayout(directory: harness.state),
            output: { _ in }, errorOutput: { errors += $0 })
        #expect(status == 64)
        #expect(errors.hasPrefix("batchctl: --config and --state are not accepted over ssh"))
    }

    @Test func remoteRunReadsKeysOnlyFromStandardInput() throws {
        let harness = try AdminHarness()
        let catalogue = try harness.catalogue()
        let layout = StateLayout(directory: harness.state)
        let path = try harness.keyFile("bob")
        var errors = ""
        let refused = Batchctl.runRemote(
            arguments: ["user", "add", "bob", "--role", "target", "--key", path], catalogue: catalogue, layout: layout,
            output: { _ in }, errorOutput: { errors += $0 })
        #expect(refused == 64)
        #expect(errors.contains("standard input"))
        let accepted = Batchctl.runRemote(
            arguments: ["user", "add", "bob", "--role", "target", "--key", "-"], catalogue: catalogue, layout: layout,
            readInput: { sampleKeyLine(3, comment: "bob@host") }, output: { _ in }, errorOutput: { _ in })
        #expect(accepted == 0)
        #expect(try catalogue.access()["bob"]?.role == .target)
        errors = ""
        let importFile = try harness.file("fleet.txt", "carol \(sampleKeyLine(4, comment: ""))\n")
        let importRefused = Batchctl.runRemote(
            arguments: ["user", "import", "--role", "target", importFile], catalogue: catalogue, layout: layout,
            output: { _ in }, errorOutput: { errors += $0 })
        #expect(importRefused == 64)
        #expect(errors.contains("standard input"))
        let imported = Batchctl.runRemote(
            arguments: ["user", "import", "--role", "target", "-"], catalogue: catalogue, layout: layout,
            readInput: { "carol \(sampleKeyLine(4, comment: ""))\ndave \(sampleKeyLine(5, comment: ""))\n" },
            output: { _ in }, errorOutput: { _ in })
        #expect(imported == 0)
        #expect(try catalogue.access()["dave"]?.role == .target)
    }

    @Test func stateDirectoryIsReadFromConfigFile() throws {
        let harness = try AdminHarness()
        let elsewhere = harness.directory + "/configured"
        let config = try harness.file("batchd.conf", "# batchd\nListen 127.0.0.1:2222\nstatedirectory \"\(elsewhere)\"\n")
        #expect(harness.runRaw(["--config", config, "topic", "add", "ops"]).status == 0)
        let topics = try Catalogue(path: StateLayout(directory: elsewhere).catalogue).topics()
        #expect(topics.map(\.name) == ["ops"])
    }

    @Test func unreadableConfigFileExits78() throws {
        let harness = try AdminHarness()
        let result = harness.runRaw(["--config", harness.directory + "/missing.conf", "stats"])
        #expect(result.status == 78)
        #expect(result.errors.contains("missing.conf"))
    }
}
