import Foundation
import Testing

/// `LogFormat json`: every line batchd writes is one JSON object with the
/// time, level and message, and its metadata (batch, user, peer) as keys.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct LogFormatTests {
    @Test func jsonLinesCarryTheMessageAndTheBatchUserAndPeer() throws {
        let (server, alice) = try TestServer.withAliceBobAndOps(extraConfig: "LogFormat json")
        defer { server.stop() }
        let file = server.directory.appendingPathComponent("a.txt")
        try Data("json logs\n".utf8).write(to: file)
        try server.scp([file.path, "alice@127.0.0.1:ops/"], key: alice).expectSuccess("scp")
        try server.waitForSettledBatches(1)
        try server.waitForLog("batch sealed")

        let lines = server.logText.split(separator: "\n")
        #expect(lines.count > 5)
        var objects: [[String: Any]] = []
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            let parsed = try #require(object, "not a JSON object: \(line)")
            #expect(parsed["time"] is String && parsed["level"] is String && parsed["message"] is String, "\(line)")
            objects.append(parsed)
        }
        let sealed = try #require(objects.first { $0["message"] as? String == "batch sealed" })
        #expect(sealed["batch"] as? String == "1")
        #expect(sealed["user"] as? String == "alice")
        #expect((sealed["peer"] as? String)?.hasPrefix("127.0.0.1:") == true)
        #expect(sealed["level"] as? String == "info")
        #expect(sealed["recipients"] as? String == "1")
        #expect(sealed["to"] as? String == "bob")
        let time = try #require(sealed["time"] as? String)
        #expect(time.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#, options: .regularExpression) != nil, "\(time)")
    }
}
