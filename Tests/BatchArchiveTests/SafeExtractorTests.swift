import BatchArchive
import Foundation
import Testing

/// Builds a `.tar.gz` with Python's `tarfile`, which writes any entry type and
/// any path, hostile ones included. `body` is Python run with `t` open for
/// writing and these helpers defined:
/// `f(name, data=b"", mode=0o644)`, `d(name, mode=0o755)`,
/// `special(name, type, linkname="", mode=0o644)`.
private func pythonArchive(_ body: String, at path: String) throws {
    let prelude = """
    import io, sys, tarfile
    t = tarfile.open(sys.argv[1], "w:gz", format=tarfile.PAX_FORMAT)
    MTIME = 1600000000
    def f(name, data=b"", mode=0o644):
        i = tarfile.TarInfo(name); i.size = len(data); i.mode = mode; i.mtime = MTIME
        t.addfile(i, io.BytesIO(data))
    def d(name, mode=0o755):
        i = tarfile.TarInfo(name); i.type = tarfile.DIRTYPE; i.mode = mode; i.mtime = MTIME
        t.addfile(i)
    def special(name, type, linkname="", mode=0o644):
        i = tarfile.TarInfo(name); i.type = type; i.linkname = linkname; i.mode = mode; i.mtime = MTIME
        i.devmajor = 1; i.devminor = 3
        t.addfile(i)

    """
    let python = try #require(toolPath("python3"), "python3 is needed to build test archives")
    let result = try runTool(python, ["-c", prelude + body + "\nt.close()\n", path])
    #expect(result.status == 0, "python3 failed: \(result.error)")
}

/// A scratch area with a folder to extract into (`inbox`) and a folder an
/// attack would aim at (`outside`, holding `victim.txt`).
private struct Arena {
    let scratch: ScratchDirectory
    let archive: String
    let destination: String

    init() throws {
        scratch = try ScratchDirectory()
        archive = scratch.path("batch.tar.gz")
        destination = scratch.path("inbox/42-nightly")
        try FileManager.default.createDirectory(atPath: scratch.path("inbox"), withIntermediateDirectories: true)
        try scratch.write(Data("untouched\n".utf8), to: "outside/victim.txt")
    }

    /// Every path below the scratch folder with its type, size and content
    /// hash, so a comparison catches anything created or changed anywhere.
    func snapshot() throws -> [String: String] {
        var result: [String: String] = [:]
        let root = scratch.url.path
        guard let walker = FileManager.default.enumerator(atPath: root) else { return result }
        while let relative = walker.nextObject() as? String {
            let full = root + "/" + relative
            let attributes = try FileManager.default.attributesOfItem(atPath: full)
            let type = attributes[.type] as? FileAttributeType
            var summary = "\(type?.rawValue ?? "?")"
            if type == .typeRegular {
                summary += " " + sha256Hex(try Data(contentsOf: URL(fileURLWithPath: full)))
            }
            result[relative] = summary
        }
        return result
    }

    /// Extracts the archive, expecting `expected`, and checks that nothing
    /// anywhere in the scratch area changed: no destination, no partial
    /// folder, no escaped file.
    func expectRefusal(_ expected: ExtractionError, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = try snapshot()
        #expect(throws: expected, sourceLocation: sourceLocation) {
            try SafeExtractor.extract(archive: archive, into: destination)
        }
        #expect(try snapshot() == before, "the refused extraction changed the scratch area", sourceLocation: sourceLocation)
        #expect(!FileManager.default.fileExists(atPath: destination), sourceLocation: sourceLocation)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path("inbox")).isEmpty, sourceLocation: sourceLocation)
        #expect(try String(contentsOfFile: scratch.path("outside/victim.txt"), encoding: .utf8) == "untouched\n", sourceLocation: sourceLocation)
    }
}

/// The mode bits and modification time of `path`, not following a final link.
private func modeAndTime(_ path: String) throws -> (mode: Int, mtime: Int) {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    let mode = try #require(attributes[.posixPermissions] as? Int)
    let date = try #require(attributes[.modificationDate] as? Date)
    return (mode, Int(date.timeIntervalSince1970))
}

@Suite struct SafeExtractorTests {
    @Test func normalArchiveIsExtractedByteForByteWithTimes() throws {
        let arena = try Arena()
        let payload = try randomBytes(300_000)
        let payloadPath = try arena.scratch.write(payload, to: "payload.bin")
        let text = textBytes(5_000)
        try pythonArchive("""
        d("build", 0o750)
        d("build/logs")
        f("build/logs/run.log", \(pythonBytes(text)), 0o640)
        f("build/empty")
        d("données")
        f("données/résumé-日本語.txt", "bonjour\\n".encode())
        f("random.bin", open("\(payloadPath)", "rb").read(), 0o600)
        f("implicit/parent/file.txt", b"no folder entries above me\\n")
        """, at: arena.archive)

        let summary = try SafeExtractor.extract(archive: arena.archive, into: arena.destination)

        #expect(summary == ExtractionSummary(files: 5, directories: 3, bytes: Int64(text.count + 8 + payload.count + 27)))
        let root = arena.destination
        #expect(try Data(contentsOf: URL(fileURLWithPath: root + "/build/logs/run.log")) == text)
        #expect(try Data(contentsOf: URL(fileURLWithPath: root + "/build/empty")).isEmpty)
        #expect(try String(contentsOfFile: root + "/données/résumé-日本語.txt", encoding: .utf8) == "bonjour\n")
        #expect(try Data(contentsOf: URL(fileURLWithPath: root + "/random.bin")) == payload)
        #expect(try String(contentsOfFile: root + "/implicit/parent/file.txt", encoding: .utf8) == "no folder entries above me\n")

        #expect(try modeAndTime(root + "/build/logs/run.log") == (0o640, 1_600_000_000))
        #expect(try modeAndTime(root + "/random.bin") == (0o600, 1_600_000_000))
        #expect(try modeAndTime(root + "/build/logs").mtime == 1_600_000_000)
        #expect(try modeAndTime(root + "/build").mtime == 1_600_000_000)
        #expect(try modeAndTime(root).mode == 0o755)
        #expect(try FileManager.default.contentsOfDirectory(atPath: arena.scratch.path("inbox")) == ["42-nightly"])
    }

    @Test func archiveFromArchiveWriterRoundTrips() throws {
        let arena = try Arena()
        let writer = try ArchiveWriter(path: arena.archive)
        try writer.appendDirectory(path: "reports", mode: 0o755, mtime: 1_700_000_000)
        let source = try arena.scratch.write(Data("q3 figures\n".utf8), to: "staging/q3")
        _ = try writer.appendFile(path: "reports/q3.csv", from: source, mode: 0o644, mtime: 1_700_000_000)
        _ = try writer.finish()

        let summary = try SafeExtractor.extract(archive: arena.archive, into: arena.destination)

        #expect(summary == ExtractionSummary(files: 1, directories: 1, bytes: 11))
        #expect(try String(contentsOfFile: arena.destination + "/reports/q3.csv", encoding: .utf8) == "q3 figures\n")
        #expect(try modeAndTime(arena.destination + "/reports/q3.csv") == (0o644, 1_700_000_000))
    }

    @Test func dotRootEntryOfTarDashCIsAccepted() throws {
        let arena = try Arena()
        try pythonArchive("""
        d("./")
        d("./sub")
        f("./sub/a.txt", b"a")
        f("./b.txt", b"bb")
        """, at: arena.archive)

        let summary = try SafeExtractor.extract(archive: arena.archive, into: arena.destination)

        #expect(summary == ExtractionSummary(files: 2, directories: 1, bytes: 3))
        #expect(try String(contentsOfFile: arena.destination + "/sub/a.txt", encoding: .utf8) == "a")
        #expect(try String(contentsOfFile: arena.destination + "/b.txt", encoding: .utf8) == "bb")
    }

    @Test func destinationBelowSymlinkedParentIsExtracted() throws {
        let arena = try Arena()
        try FileManager.default.createSymbolicLink(atPath: arena.scratch.path("alias"), withDestinationPath: arena.scratch.path("inbox"))
        try pythonArchive(#"f("a.txt", b"hello")"#, at: arena.archive)

        let summary = try SafeExtractor.extract(archive: arena.archive, into: arena.scratch.path("alias/42-nightly"))

        #expect(summary.files == 1)
        #expect(try String(contentsOfFile: arena.destination + "/a.txt", encoding: .utf8) == "hello")
    }

    @Test func parentComponentIsRefused() throws {
        let arena = try Arena()
        try pythonArchive("""
        f("fine.txt", b"fine")
        f("../escape.txt", b"escaped")
        """, at: arena.archive)
        try arena.expectRefusal(.entryLeavesFolder("../escape.txt"))
    }

    @Test func parentComponentHiddenBehindACombiningMarkIsRefused() throws {
        // "/" followed by U+065A is one grapheme cluster: a split on the
        // Character "/" would see "../\u{65A}escape.txt" as one component.
        let arena = try Arena()
        try pythonArchive("""
        f("fine.txt", b"fine")
        f("../\\u065aescape.txt", b"escaped")
        """, at: arena.archive)
        try arena.expectRefusal(.entryLeavesFolder("../\u{65A}escape.txt"))
    }

    @Test func nestedParentComponentIsRefusedWithSentenceNamingEntry() throws {
        let arena = try Arena()
        try pythonArchive("""
        d("a")
        f("a/fine.txt", b"fine")
        f("a/../../escape.txt", b"escaped")
        """, at: arena.archive)
        try arena.expectRefusal(.entryLeavesFolder("a/../../escape.txt"))
        #expect(ExtractionError.entryLeavesFolder("a/../../escape.txt").description
            == "entry 'a/../../escape.txt' leaves the folder; the archive was not extracted")
    }

    @Test func absolutePathIsRefused() throws {
        let arena = try Arena()
        let target = arena.scratch.path("outside/abs.txt")
        try pythonArchive("""
        f("fine.txt", b"fine")
        f("\(target)", b"absolute")
        """, at: arena.archive)
        try arena.expectRefusal(.absoluteEntry(target))
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    @Test func symlinkThenWriteThroughItIsRefused() throws {
        let arena = try Arena()
        let outside = arena.scratch.path("outside")
        try pythonArchive("""
        special("link", tarfile.SYMTYPE, "\(outside)")
        f("link/pwned.txt", b"through the link")
        f("link/victim.txt", b"overwritten")
        """, at: arena.archive)
        try arena.expectRefusal(.symbolicLinkEntry(entry: "link", target: outside))
    }

    @Test func relativeSymlinkIsRefused() throws {
        let arena = try Arena()
        try pythonArchive("""
        f("fine.txt", b"fine")
        special("up", tarfile.SYMTYPE, "../../outside")
        """, at: arena.archive)
        try arena.expectRefusal(.symbolicLinkEntry(entry: "up", target: "../../outside"))
    }

    @Test func hardLinkToSystemFileIsRefused() throws {
        let arena = try Arena()
        try pythonArchive("""
        f("fine.txt", b"fine")
        special("passwd", tarfile.LNKTYPE, "/etc/passwd")
        """, at: arena.archive)
        try arena.expectRefusal(.hardLinkEntry(entry: "passwd", target: "/etc/passwd"))
    }

    @Test func hardLinkThenOverwriteCannotReachOutsideFile() throws {
        let arena = try Arena()
        let victim = arena.scratch.path("outside/victim.txt")
        try pythonArchive("""
        special("victim", tarfile.LNKTYPE, "\(victim)")
        f("victim", b"overwritten through the hard link")
        """, at: arena.archive)
        try arena.expectRefusal(.hardLinkEntry(entry: "victim", target: victim))
    }

    @Test func characterDeviceIsRefused() throws {
        let arena = try Arena()
        try pythonArchive("""
        f("fine.txt", b"fine")
        special("null", tarfile.CHRTYPE)
        """, at: arena.archive)
        try arena.expectRefusal(.forbiddenEntryType(entry: "null", kind: "character device"))
    }

    @Test func blockDeviceIsRefused() throws {
        let arena = try Arena()
        try pythonArchive(#"special("disk", tarfile.BLKTYPE)"#, at: arena.archive)
        try arena.expectRefusal(.forbiddenEntryType(entry: "disk", kind: "block device"))
    }

    @Test func fifoIsRefused() throws {
        let arena = try Arena()
        try pythonArchive("""
        d("pipes")
        special("pipes/fifo", tarfile.FIFOTYPE)
        """, at: arena.archive)
        try arena.expectRefusal(.forbiddenEntryType(entry: "pipes/fifo", kind: "FIFO"))
        #expect(ExtractionError.forbiddenEntryType(entry: "pipes/fifo", kind: "FIFO").description.contains("'pipes/fifo'"))
    }

    @Test func setuidSetgidStickyAndWorldWriteBitsAreCleared() throws {
        let arena = try Arena()
        try pythonArchive("""
        d("shared", 0o3777)
        d("private", 0o700)
        f("shared/tool", b"#!/bin/sh\\n", 0o6755)
        f("sticky.txt", b"s", 0o1644)
        f("open.txt", b"o", 0o666)
        """, at: arena.archive)

        let summary = try SafeExtractor.extract(archive: arena.archive, into: arena.destination)

        #expect(summary == ExtractionSummary(files: 3, directories: 2, bytes: 12))
        #expect(try modeAndTime(arena.destination + "/shared/tool").mode == 0o755)
        #expect(try modeAndTime(arena.destination + "/sticky.txt").mode == 0o644)
        #expect(try modeAndTime(arena.destination + "/open.txt").mode == 0o664)
        #expect(try modeAndTime(arena.destination + "/shared").mode == 0o775)
        #expect(try modeAndTime(arena.destination + "/private").mode == 0o755)
    }

    @Test func anArchiveThatExpandsPastItsLimitIsRefusedBeforeWritingIt() throws {
        let arena = try Arena()
        // 16 MiB of zeros in a few kilobytes: a small bomb.
        try pythonArchive("""
        f("fine.txt", b"ok")
        f("zeros.bin", bytes(16 << 20))
        """, at: arena.archive)
        let size = try FileManager.default.attributesOfItem(atPath: arena.archive)[.size] as? Int ?? 0
        let limits = ExtractionLimits(maxExpansion: 100, reserve: 0)
        let before = try arena.snapshot()
        #expect {
            try SafeExtractor.extract(archive: arena.archive, into: arena.destination, limits: limits)
        } throws: { error in
            guard case .expandsTooFar(let entry, let limit, let reason)? = error as? ExtractionError else { return false }
            return entry == "zeros.bin" && limit == Int64(size * 100) && reason.contains("100 times")
        }
        #expect(try arena.snapshot() == before)
        #expect(!FileManager.default.fileExists(atPath: arena.destination))
        // The same archive with room to expand is extracted whole.
        let summary = try SafeExtractor.extract(archive: arena.archive, into: arena.destination,
                                                limits: ExtractionLimits(maxExpansion: 100_000, reserve: 0))
        #expect(summary.bytes == (16 << 20) + 2)
    }

    @Test func anArchiveLargerThanTheFreeSpaceIsRefused() throws {
        let arena = try Arena()
        try pythonArchive(#"f("zeros.bin", bytes(1 << 20))"#, at: arena.archive)
        // A reserve larger than any disk: no room at all.
        let limits = ExtractionLimits(maxExpansion: 100_000, reserve: Int64.max / 2)
        #expect {
            try SafeExtractor.extract(archive: arena.archive, into: arena.destination, limits: limits)
        } throws: { error in
            guard case .expandsTooFar(_, _, let reason)? = error as? ExtractionError else { return false }
            return reason.contains("free")
        }
        #expect(!FileManager.default.fileExists(atPath: arena.destination))
    }

    @Test func existingDestinationFolderIsRefusedAndKept() throws {
        let arena = try Arena()
        try arena.scratch.write(Data("earlier delivery\n".utf8), to: "inbox/42-nightly/old.txt")
        try pythonArchive(#"f("old.txt", b"new")"#, at: arena.archive)
        let before = try arena.snapshot()

        #expect(throws: ExtractionError.destinationExists(arena.destination)) {
            try SafeExtractor.extract(archive: arena.archive, into: arena.destination)
        }
        #expect(try arena.snapshot() == before)
    }

    @Test func existingDanglingSymlinkAtDestinationIsRefused() throws {
        let arena = try Arena()
        try FileManager.default.createSymbolicLink(atPath: arena.destination, withDestinationPath: arena.scratch.path("outside/new"))
        try pythonArchive(#"f("a.txt", b"a")"#, at: arena.archive)

        #expect(throws: ExtractionError.destinationExists(arena.destination)) {
            try SafeExtractor.extract(archive: arena.archive, into: arena.destination)
        }
        #expect(!FileManager.default.fileExists(atPath: arena.scratch.path("outside/new")))
    }

    @Test func truncatedGzipIsRefusedAndLeavesNothing() throws {
        let arena = try Arena()
        let payload = try arena.scratch.write(try randomBytes(200_000), to: "payload.bin")
        try pythonArchive("""
        f("first.txt", b"complete")
        f("big.bin", open("\(payload)", "rb").read())
        """, at: arena.archive)
        let whole = try Data(contentsOf: URL(fileURLWithPath: arena.archive))
        try whole.prefix(whole.count * 2 / 3).write(to: URL(fileURLWithPath: arena.archive))

        let before = try arena.snapshot()
        do {
            _ = try SafeExtractor.extract(archive: arena.archive, into: arena.destination)
            Issue.record("a truncated archive was extracted")
        } catch {
            guard case .archiveCorrupt(let archive, _) = error else {
                Issue.record("expected archiveCorrupt, got \(error)")
                return
            }
            #expect(archive == arena.archive)
            #expect(error.description.contains("damaged"))
        }
        #expect(try arena.snapshot() == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: arena.scratch.path("inbox")).isEmpty)
    }

    @Test func nonArchiveIsRefused() throws {
        let arena = try Arena()
        try arena.scratch.write(Data("this is not a tar.gz\n".utf8), to: "batch.tar.gz")
        let before = try arena.snapshot()
        #expect {
            try SafeExtractor.extract(archive: arena.archive, into: arena.destination)
        } throws: { error in
            guard let error = error as? ExtractionError, case .archiveCorrupt = error else { return false }
            return true
        }
        #expect(try arena.snapshot() == before)
    }

    @Test func missingArchiveIsRefusedAndLeavesNothing() throws {
        let arena = try Arena()
        #expect {
            try SafeExtractor.extract(archive: arena.archive, into: arena.destination)
        } throws: { error in
            guard let error = error as? ExtractionError, case .archiveUnreadable(let archive, _) = error else { return false }
            return archive == arena.archive
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: arena.scratch.path("inbox")).isEmpty)
    }

    @Test func missingParentFolderIsRefused() throws {
        let arena = try Arena()
        try pythonArchive(#"f("a.txt", b"a")"#, at: arena.archive)
        let nowhere = arena.scratch.path("no/such/folder")
        #expect(throws: ExtractionError.parentUnusable(path: arena.scratch.path("no/such"), errno: ENOENT)) {
            try SafeExtractor.extract(archive: arena.archive, into: nowhere)
        }
    }

    @Test(arguments: ["", ".", "..", "inbox/..", "/"])
    func destinationWithoutPlainNameIsRefused(_ destination: String) throws {
        let arena = try Arena()
        try pythonArchive(#"f("a.txt", b"a")"#, at: arena.archive)
        #expect(throws: ExtractionError.invalidDestination(destination)) {
            try SafeExtractor.extract(archive: arena.archive, into: destination)
        }
    }
}

/// `data` as a Python bytes literal.
private func pythonBytes(_ data: Data) -> String {
    "bytes.fromhex('" + data.map { String(format: "%02x", $0) }.joined() + "')"
}
