import BatchCore
import BatchServer
import BatchStore
import Foundation
import Testing

/// `batchctl user import`: many users from one file, all or none.
@Suite struct UserImportTests {
    @Test func everyUserOfTheFileIsAddedWithItsKeys() throws {
        let harness = try AdminHarness()
        let text = """
            # fleet, one key per line
            t1 \(sampleKeyLine(1, comment: "t1@host"))

              t2\t\(sampleKeyLine(2, comment: "t2@host"))
            t1 \(sampleKeyLine(3, comment: "t1-laptop"))
            t3 \(sampleKeyLine(4, comment: ""))
            """
        let result = harness.run(["user", "import", "--role", "target", try harness.file("fleet.txt", text)])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output == "added 3 target users with 4 keys\n")
        let access = try harness.catalogue().access()
        #expect(access["t1"]?.keys.count == 2)
        #expect(access["t2"]?.keys.count == 1)
        #expect(access["t3"]?.role == .target)
        let fromInput = harness.run(["user", "import", "--role", "source", "-"], input: "s1 \(sampleKeyLine(5, comment: "s1"))\n")
        #expect(fromInput.output == "added 1 source user with 1 key\n")
    }

    @Test func aBadLineOrATakenNameAddsNobody() throws {
        let harness = try AdminHarness()
        #expect(harness.run(["user", "add", "t2", "--role", "target", "--key", try harness.keyFile("t2", seed: 9)]).status == 0)
        let cases: [(text: String, status: Int32, error: String)] = [
            ("t1 \(sampleKeyLine(1, comment: ""))\nt2 \(sampleKeyLine(2, comment: ""))\n", 1,
             "batchctl: user 't2' already exists; batchctl user list shows the users\n"),
            ("t1 \(sampleKeyLine(1, comment: ""))\nt4 ssh-dss AAAAB3NzaC1kc3M= old\n", 65, "line 2: "),
            ("t1 \(sampleKeyLine(1, comment: ""))\n../x \(sampleKeyLine(3, comment: ""))\n", 65,
             "line 2: '../x' is not a user name"),
            ("t1 \(sampleKeyLine(1, comment: ""))\nt5\n", 65, "line 2: the user name must be followed by a public key"),
            ("t1\u{1B}[2J \(sampleKeyLine(1, comment: ""))\n", 65, "'t1\\e[2J' is not a user name"),
            ("t1 \(sampleKeyLine(1, comment: ""))\nt6 \(sampleKeyLine(1, comment: "same key"))\n", 1, "is already registered to user 't1'"),
            ("# only a comment\n\n", 65, "it names no user"),
        ]
        for (index, bad) in cases.enumerated() {
            let path = try harness.file("bad\(index).txt", bad.text)
            let result = harness.run(["user", "import", "--role", "target", path])
            #expect(result.status == bad.status, "\(bad.text): \(result.errors)")
            #expect(result.errors.contains(bad.error), "\(result.errors)")
            #expect(result.errors.hasSuffix("\n") && result.errors.split(separator: "\n").count == 1, "\(result.errors)")
        }
        let users = try harness.catalogue().users().map(\.name)
        #expect(users == ["t2"])
    }
}
