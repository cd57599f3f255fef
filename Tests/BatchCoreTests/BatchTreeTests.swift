import BatchCore
import Testing

/// The rules of an open batch's tree, shared by every channel of a source:
/// what may be made, moved and removed, and when the archive must be built
/// again because something already archived changed.
@Suite struct BatchTreeTests {
    private func tree(folders: [String] = [], files: [(Int, String)] = []) throws -> BatchTree {
        var tree = BatchTree()
        for folder in folders { try tree.makeDirectory(folder, mode: 0o755, mtime: 1) }
        for (id, path) in files { try tree.placeFile(id, at: path) }
        return tree
    }

    @Test func aFileNeedsItsFolderFirst() throws {
        var tree = BatchTree()
        #expect(throws: BatchTreeError.noSuchFile("d")) { try tree.placeFile(1, at: "d/a.txt") }
        try tree.makeDirectory("d", mode: 0o755, mtime: 1)
        try tree.placeFile(1, at: "d/a.txt")
        #expect(tree.path(of: 1) == "d/a.txt")
        #expect(throws: BatchTreeError.notADirectory("d/a.txt")) { try tree.placeFile(2, at: "d/a.txt/b") }
    }

    @Test func theDestinationItselfIsAFolderThatCannotBeMadeOrOpened() throws {
        var tree = BatchTree()
        #expect(tree.isDirectory(""))
        #expect(throws: BatchTreeError.alreadyExists("")) { try tree.makeDirectory("", mode: 0o755, mtime: 1) }
        #expect(throws: BatchTreeError.isADirectory("")) { try tree.fileToOpen(at: "", exclusive: false) }
    }

    @Test func exclusiveOpenOfAnExistingFileIsRefusedAndPlainOpenFindsIt() throws {
        let tree = try tree(files: [(7, "a.txt")])
        #expect(throws: BatchTreeError.alreadyExists("a.txt")) { try tree.fileToOpen(at: "a.txt", exclusive: true) }
        #expect(try tree.fileToOpen(at: "a.txt", exclusive: false) == 7)
        #expect(try tree.fileToOpen(at: "b.txt", exclusive: true) == nil)
    }

    @Test func placingOverAFileReplacesItAndAnArchivedOneNeedsARebuild() throws {
        var tree = try tree(files: [(1, "a.txt")])
        #expect(try tree.placeFile(2, at: "a.txt") == 1)
        #expect(!tree.rebuildNeeded)
        tree.archive(2)
        #expect(try tree.placeFile(3, at: "a.txt") == 2)
        #expect(tree.rebuildNeeded)
        #expect(tree.path(of: 2) == nil && tree.path(of: 3) == "a.txt")
    }

    @Test func aFolderIsRemovedOnlyWhenEmpty() throws {
        var tree = try tree(folders: ["d"], files: [(1, "d/a")])
        #expect(throws: BatchTreeError.directoryNotEmpty("d")) { try tree.removeDirectory("d") }
        #expect(try tree.removeFile("d/a") == 1)
        try tree.removeDirectory("d")
        #expect(tree.node(at: "d") == nil)
        // The folder was archived when it was made.
        #expect(tree.rebuildNeeded)
        #expect(throws: BatchTreeError.noSuchFile("d")) { try tree.removeDirectory("d") }
    }

    @Test func removingAFolderAsAFileAndAFileAsAFolderIsRefused() throws {
        var tree = try tree(folders: ["d"], files: [(1, "f")])
        #expect(throws: BatchTreeError.isADirectory("d")) { try tree.removeFile("d") }
        #expect(throws: BatchTreeError.notADirectory("f")) { try tree.removeDirectory("f") }
    }

    @Test func renamingAFolderMovesEverythingBelowIt() throws {
        var tree = try tree(folders: ["a", "a/b"], files: [(1, "a/b/c.txt"), (2, "a/d.txt")])
        try tree.makeDirectory("z", mode: 0o755, mtime: 1)
        try tree.rename("a", to: "z/a2", replace: false)
        #expect(tree.path(of: 1) == "z/a2/b/c.txt")
        #expect(tree.path(of: 2) == "z/a2/d.txt")
        #expect(tree.isDirectory("z/a2/b"))
        #expect(tree.node(at: "a") == nil)
        #expect(tree.children(of: "z/a2").map(\.name) == ["b", "d.txt"])
        #expect(tree.rebuildNeeded, "archived folders moved")
    }

    @Test func aFolderCannotMoveIntoItself() throws {
        var tree = try tree(folders: ["a"])
        #expect(throws: BatchTreeError.intoItself(from: "a", to: "a/b")) { try tree.rename("a", to: "a/b", replace: false) }
    }

    @Test func plainRenameNeverOverwritesAndPosixRenameReplacesOnlyAFileWithAFile() throws {
        var tree = try tree(folders: ["d"], files: [(1, "x.filepart"), (2, "x")])
        #expect(throws: BatchTreeError.alreadyExists("x")) { try tree.rename("x.filepart", to: "x", replace: false) }
        #expect(throws: BatchTreeError.alreadyExists("d")) { try tree.rename("x", to: "d", replace: true) }
        #expect(try tree.rename("x.filepart", to: "x", replace: true) == 2)
        #expect(tree.path(of: 1) == "x")
        #expect(!tree.rebuildNeeded, "nothing renamed had reached the archive")
    }

    @Test func renamingAnArchivedFileNeedsARebuildAndAnUnarchivedOneDoesNot() throws {
        var tree = try tree(files: [(1, "a"), (2, "b")])
        try tree.rename("a", to: "a2", replace: false)
        #expect(!tree.rebuildNeeded)
        tree.archive(2)
        try tree.rename("b", to: "b2", replace: false)
        #expect(tree.rebuildNeeded)
    }

    @Test func theOrderIsTheArchiveOrderThenTheRestByPath() throws {
        var tree = try tree(folders: ["d"], files: [(1, "d/late"), (2, "early"), (3, "z-open"), (4, "a-open")])
        tree.archive(2)
        tree.archive(1)
        #expect(tree.ordered().map(\.path) == ["d", "early", "d/late", "a-open", "z-open"])
    }

    @Test func unarchivingAFileTakesItsPlaceAway() throws {
        var tree = try tree(files: [(1, "a")])
        tree.unarchive(1)
        #expect(!tree.rebuildNeeded)
        tree.archive(1)
        #expect(tree.isArchived(1))
        tree.unarchive(1)
        #expect(!tree.isArchived(1))
        #expect(tree.rebuildNeeded)
    }

    @Test func childrenListOnlyTheLevelAskedFor() throws {
        let tree = try tree(folders: ["a", "a/b", "ab"], files: [(1, "a/b/c"), (2, "a/f")])
        #expect(tree.children(of: "").map(\.name) == ["a", "ab"])
        #expect(tree.children(of: "a").map(\.name) == ["b", "f"])
        #expect(tree.children(of: "a").last?.node == .file(id: 2))
    }
}
