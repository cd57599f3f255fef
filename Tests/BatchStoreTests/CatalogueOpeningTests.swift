import BatchStore
import Foundation
import Testing

@Suite struct CatalogueOpeningTests {
    @Test func emptyDatabaseIsMigratedAndPassesIntegrityCheck() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try directory.catalogue()
        #expect(try catalogue.integrityCheck())
        #expect(try catalogue.users().isEmpty)
        #expect(try catalogue.topics().isEmpty)
        #expect(try catalogue.batches().isEmpty)
    }

    @Test func reopeningKeepsDataAndDoesNotMigrateAgain() throws {
        let directory = try TemporaryDirectory()
        do {
            let catalogue = try directory.catalogue()
            try catalogue.addTopic("ops")
        }
        let reopened = try directory.catalogue()
        #expect(try reopened.topicExists("ops"))
        #expect(try reopened.integrityCheck())
    }

    @Test func missingParentDirectoriesAreCreated() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/state/nested/catalogue.db"
        _ = try Catalogue(path: path)
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test func unopenablePathIsReportedWithThePath() throws {
        let directory = try TemporaryDirectory()
        let blocker = directory.path + "/file"
        #expect(FileManager.default.createFile(atPath: blocker, contents: Data("x".utf8)))
        let path = blocker + "/catalogue.db"
        #expect {
            try Catalogue(path: path)
        } throws: { error in
            guard case .cannotOpen(let reported, _)? = error as? StoreError else { return false }
            return reported == path && (error as? StoreError)?.description.contains(path) == true
        }
    }

    @Test func statsCountEveryKindAndIncludeZeroes() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        let id = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
        try catalogue.sealBatch(id: id, archivePath: "/a/1.tar.gz", summary: sampleSeal, files: sampleFiles)
        _ = try catalogue.openBatch(source: "alice", destination: .users(["bob"]))
        let stats = try catalogue.stats()
        #expect(stats.users == ["source": 1, "target": 2, "admin": 1])
        #expect(stats.topics == 1)
        #expect(stats.batches == ["open": 1, "sealed": 1, "failed": 0, "purged": 0])
        #expect(stats.sealedBytes == 1234)
        #expect(stats.offers == ["pending": 2, "offered": 0, "accepted": 0, "declined": 0, "delivered": 0, "failed": 0,
                                "withdrawn": 0])
    }
}
