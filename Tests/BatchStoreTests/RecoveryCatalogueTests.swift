import BatchCore
import BatchStore
import Foundation
import Testing

/// What the catalogue keeps for a restart: which open batches had finished
/// their upload, with the entries to seal them from.
@Suite struct RecoveryCatalogueTests {
    private let staged = [
        StagedEntry(path: "data", kind: .directory, mode: 0o750, mtime: 1_700_000_000),
        StagedEntry(path: "report.pdf", kind: .file(stagingName: "1.part", size: 1000), mode: 0o644, mtime: 1_700_000_000),
        StagedEntry(path: "data/rows.csv", kind: .file(stagingName: "3.part", size: 0), mode: 0o600, mtime: 1_700_000_100),
    ]

    @Test func openBatchesWhoseUploadDidNotFinishAreFailedAtStart() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        let first = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
        let sealed = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
        try catalogue.sealBatch(id: sealed, archivePath: "/a", summary: sampleSeal, files: [])
        let finished = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
        try catalogue.finishUpload(id: finished, entries: staged)
        let fourth = try catalogue.openBatch(source: "alice", destination: .users(["bob"]))
        #expect(try catalogue.failUnfinishedUploads(reason: "server restarted") == [first, fourth])
        #expect(try catalogue.batch(id: first)?.failure == "server restarted")
        #expect(try catalogue.batch(id: sealed)?.state == .sealed)
        #expect(try catalogue.batch(id: finished)?.state == .open)
        #expect(try catalogue.failUnfinishedUploads(reason: "again") == [])
    }

    @Test func aFinishedUploadKeepsItsEntriesInOrderAcrossAReopen() throws {
        let directory = try TemporaryDirectory()
        let id: Int64
        do {
            let catalogue = try populatedCatalogue(in: directory)
            _ = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
            id = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
            try catalogue.finishUpload(id: id, entries: staged)
        }
        let reopened = try directory.catalogue()
        #expect(try reopened.finishedUploads() == [FinishedUpload(id: id, source: "alice", topic: "ops", entries: staged)])
        #expect(staged.compactMap(\.file) == [
            FileEntry(path: "report.pdf", size: 1000, mode: 0o644, mtime: 1_700_000_000),
            FileEntry(path: "data/rows.csv", size: 0, mode: 0o600, mtime: 1_700_000_100),
        ])
        #expect(try reopened.integrityCheck())
    }

    @Test func sealingOrFailingAFinishedUploadEndsIt() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        let sealed = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
        let failed = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
        try catalogue.finishUpload(id: sealed, entries: staged)
        try catalogue.finishUpload(id: failed, entries: staged)
        #expect(try catalogue.finishedUploads().map(\.id) == [sealed, failed])
        try catalogue.sealBatch(id: sealed, archivePath: "/a", summary: sampleSeal, files: staged.compactMap(\.file))
        try catalogue.failBatch(id: failed, reason: "staging lost")
        #expect(try catalogue.finishedUploads().isEmpty)
        #expect(try catalogue.batch(id: sealed)?.files == staged.compactMap(\.file))
    }

    @Test func onlyAnOpenBatchCanFinishItsUpload() throws {
        let directory = try TemporaryDirectory()
        let catalogue = try populatedCatalogue(in: directory)
        let id = try catalogue.openBatch(source: "alice", destination: .topic("ops"))
        try catalogue.failBatch(id: id, reason: "rejected by the pre-seal hook (exit 1)")
        #expect(throws: StoreError.wrongBatchState(id: id, state: .failed, operation: "finish the upload of")) {
            try catalogue.finishUpload(id: id, entries: staged)
        }
        #expect(try catalogue.finishedUploads().isEmpty)
        #expect(throws: StoreError.unknownBatch(99)) {
            try catalogue.finishUpload(id: 99, entries: staged)
        }
    }
}
