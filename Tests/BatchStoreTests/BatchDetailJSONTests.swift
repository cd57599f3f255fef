import BatchCore
import BatchStore
import Foundation
import Testing

@Suite struct BatchDetailJSONTests {
    private func jsonObject(_ detail: BatchDetail) throws -> [String: Any] {
        let data = try JSONEncoder().encode(detail)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func batchDetailEncodesTheContractFields() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        let id = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
        try catalogue.sealBatch(id: id, archivePath: "/srv/archives/\(id).tar.gz", summary: sampleSeal, files: sampleFiles)
        try catalogue.updateOffer(batch: id, target: "carol", state: .declined, detail: "not today")
        try catalogue.addReceivedBytes(batch: id, target: "bob", source: "server", bytes: 1234)
        let object = try jsonObject(try #require(try catalogue.batch(id: id)))

        for key in ["id", "topic", "source", "state", "size", "sha256", "archive", "files", "targets"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        #expect(object["id"] as? Int == Int(id))
        #expect(object["topic"] as? String == "ops")
        #expect(object["source"] as? String == "alice")
        #expect(object["state"] as? String == "sealed")
        #expect(object["size"] as? Int == 1234)
        #expect(object["sha256"] as? String == sampleSeal.sha256)
        #expect(object["archive"] as? String == "/srv/archives/\(id).tar.gz")

        let files = try #require(object["files"] as? [[String: Any]])
        #expect(files.map { $0["path"] as? String } == ["report.pdf", "data/rows.csv"])
        #expect(files.map { $0["size"] as? Int } == [1000, 200])

        let targets = try #require(object["targets"] as? [[String: Any]])
        #expect(targets.count == 2)
        for target in targets {
            for key in ["user", "state", "reason", "received_from"] {
                #expect(target[key] != nil, "target missing \(key)")
            }
        }
        #expect(targets[0]["user"] as? String == "bob")
        #expect(targets[0]["reason"] is NSNull)
        #expect(targets[0]["received_from"] as? [String: Int] == ["server": 1234])
        #expect(targets[1]["state"] as? String == "declined")
        #expect(targets[1]["reason"] as? String == "not today")
    }

    @Test func userBatchHasNullTopic() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        let id = try catalogue.openBatch(source: "alice", destination: .users(["bob", "carol"]))
        let object = try jsonObject(try #require(try catalogue.batch(id: id)))
        #expect(object["topic"] is NSNull)
        #expect(object["destination"] as? String == "@bob,carol")
        #expect(object["archive"] is NSNull)
    }

    @Test func batchDetailRoundTripsThroughJSON() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        let id = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
        try catalogue.sealBatch(id: id, archivePath: "/a", summary: sampleSeal, files: sampleFiles)
        let detail = try #require(try catalogue.batch(id: id))
        let decoded = try JSONDecoder().decode(BatchDetail.self, from: try JSONEncoder().encode(detail))
        #expect(decoded == detail)
    }
}
