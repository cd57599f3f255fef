import Testing
import BatchCore

private func resolve(_ raw: String, from cwd: String = "/") throws -> DropPath {
    try DropPath.resolve(raw, relativeTo: DropPath.resolve(cwd, relativeTo: .root))
}

/// The path rules that keep every upload inside the drop tree.
@Suite struct DropPathTests {
    // MARK: - Separators are bytes, not grapheme clusters

    @Test func parentHiddenBehindACombiningMarkIsRefused() {
        // "/" + U+065A is one Character; the path still has a ".." component.
        #expect(throws: PathError.self) { try resolve("ops/../\u{65A}x") }
        #expect(throws: PathError.self) { try resolve("../\u{65A}") }
    }

    @Test func slashBeforeACombiningMarkStillSeparates() throws {
        let path = try resolve("/op/\u{65A}/sb/")
        #expect(path.components == ["op", "\u{65A}", "sb"])
        #expect(throws: PathError.self) { try DropPath.root.appending("a/\u{65A}") }
    }

    // MARK: - Normal paths

    @Test func rootIsSlash() throws {
        #expect(DropPath.root.string == "/")
        #expect(DropPath.root.isRoot)
        #expect(try resolve(".") == .root)
        #expect(try resolve("/") == .root)
        #expect(try resolve("") == .root)
    }

    @Test func relativePathsResolveAgainstTheWorkingDirectory() throws {
        let path = try resolve("a/b.txt", from: "/ops")
        #expect(path.components == ["ops", "a", "b.txt"])
        #expect(path.string == "/ops/a/b.txt")
    }

    @Test func absolutePathsStartAtTheDropRoot() throws {
        #expect(try resolve("/ops/x", from: "/other/deep").string == "/ops/x")
    }

    @Test func dotsAndRepeatedSlashesCollapse() throws {
        #expect(try resolve("//ops///./a/./b//").components == ["ops", "a", "b"])
        #expect(try resolve("./ops/.").components == ["ops"])
        #expect(try resolve("", from: "/ops/a").string == "/ops/a")
    }

    @Test func destinationAndRelativeSplitAtTheFirstComponent() throws {
        let path = try resolve("/ops/nightly/build.tar")
        #expect(path.destination == .topic("ops"))
        #expect(path.relative == ["nightly", "build.tar"])
        let users = try resolve("@bob,carol/notes.txt")
        #expect(users.destination == .users(["bob", "carol"]))
        #expect(users.relative == ["notes.txt"])
    }

    @Test func rootHasNoDestination() throws {
        #expect(DropPath.root.destination == nil)
        #expect(DropPath.root.relative.isEmpty)
        #expect(throws: PathError.noDestination) { try DropPath.root.requireDestination() }
    }

    @Test func invalidDestinationIsReported() throws {
        let path = try resolve("-bad/x")
        #expect(path.destination == nil)
        #expect(throws: PathError.badDestination("-bad")) { try path.requireDestination() }
    }

    @Test func unicodeNamesAreAllowed() throws {
        #expect(try resolve("ops/résumé – 日本/ファイル.txt").components == ["ops", "résumé – 日本", "ファイル.txt"])
    }

    @Test func percentSequencesStayLiteral() throws {
        let path = try resolve("ops/%2e%2e/%2E%2E%2Fetc")
        #expect(path.components == ["ops", "%2e%2e", "%2E%2E%2Fetc"])
        #expect(!path.components.contains(".."))
    }

    @Test func namesThatMerelyContainDotsAreAllowed() throws {
        #expect(try resolve("ops/...").components == ["ops", "..."])
        #expect(try resolve("ops/..a/a..").components == ["ops", "..a", "a.."])
        #expect(try resolve("ops/.hidden").components == ["ops", ".hidden"])
    }

    @Test func parentAndAppendingWalkOneLevel() throws {
        let path = try resolve("/ops/a")
        #expect(path.parent == (try resolve("/ops")))
        #expect(path.name == "a")
        #expect(DropPath.root.parent == nil)
        #expect(try path.appending("b.txt").string == "/ops/a/b.txt")
    }

    @Test func appendingRefusesAnythingButOneName() throws {
        let path = try resolve("/ops")
        #expect(throws: PathError.badComponent("a/b")) { try path.appending("a/b") }
        #expect(throws: PathError.badComponent(".")) { try path.appending(".") }
        #expect(throws: PathError.parentComponent("..")) { try path.appending("..") }
        #expect(throws: PathError.empty) { try path.appending("") }
    }

    // MARK: - Parent components

    @Test(arguments: ["..", "/..", "a/../b", "ops/..", "ops/a/..", "./..", "../ops", "ops/../../etc/passwd", "ops/./../x", "ops/../"])
    func parentComponentIsRefused(_ raw: String) {
        #expect(throws: PathError.parentComponent(raw)) { try resolve(raw, from: "/ops") }
    }

    @Test func parentIsRefusedEvenWhereItWouldStayInside() {
        // "ops/a/../b" would stay inside, but `..` is never resolved.
        #expect(throws: PathError.parentComponent("ops/a/../b")) { try resolve("ops/a/../b") }
    }

    // MARK: - Forbidden bytes

    @Test func nulIsRefused() {
        #expect(throws: PathError.nulByte) { try DropPath.resolve([0x6F, 0x00, 0x70], relativeTo: .root) }
        #expect(throws: PathError.nulByte) { try DropPath.resolve([0x00], relativeTo: .root) }
    }

    @Test(arguments: [0x01, 0x09, 0x0A, 0x0D, 0x1B, 0x1F, 0x7F] as [UInt8])
    func controlCharactersAreRefused(_ byte: UInt8) {
        let raw = Array("ops/a".utf8) + [byte] + [0x62]
        #expect(throws: PathError.controlCharacter(TerminalText.escaped(String(decoding: raw, as: UTF8.self)))) {
            try DropPath.resolve(raw, relativeTo: .root)
        }
    }

    @Test(arguments: ["\u{9B}", "\u{85}", "\u{80}", "\u{9F}", "\u{202E}", "\u{2066}"])
    func c1ControlsAndBidiOverridesAreRefused(_ control: String) {
        let raw = "ops/a" + control + "2J"
        #expect(throws: PathError.controlCharacter(TerminalText.escaped(raw))) { try resolve(raw) }
        #expect(!TerminalText.escaped(raw).unicodeScalars.contains { $0.value >= 0x80 && $0.value < 0xA0 })
    }

    @Test func ordinaryNonAsciiNamesPass() throws {
        #expect(try resolve("ops/résumé-日本語-ü.txt").components.last == "résumé-日本語-ü.txt")
    }

    @Test func pathsDeeperThanTheLimitAreRefused() throws {
        let deepest = "ops/" + Array(repeating: "d", count: DropPath.maxDepth - 1).joined(separator: "/")
        #expect(try resolve(deepest).components.count == DropPath.maxDepth)
        #expect(throws: PathError.tooDeep(DropPath.maxDepth + 1)) { try resolve(deepest + "/x") }
    }

    @Test(arguments: ["ops\\a", "..\\..\\etc", "ops/a\\", "\\"])
    func backslashIsRefused(_ raw: String) {
        #expect(throws: PathError.backslash(raw)) { try resolve(raw) }
    }

    @Test func invalidUTF8IsRefused() {
        #expect(throws: PathError.invalidUTF8) { try DropPath.resolve([0x6F, 0x70, 0xFF], relativeTo: .root) }
        // An overlong encoding of '.' must not sneak a dot in.
        #expect(throws: PathError.invalidUTF8) { try DropPath.resolve([0xC0, 0xAE, 0xC0, 0xAE], relativeTo: .root) }
    }

    // MARK: - Lengths

    @Test func componentOf255BytesIsAllowed() throws {
        let name = String(repeating: "é", count: 127) + "x"
        #expect(name.utf8.count == 255)
        #expect(try resolve("ops/" + name).components == ["ops", name])
    }

    @Test func componentOver255BytesIsRefused() {
        let name = String(repeating: "é", count: 128)
        #expect(throws: PathError.nameTooLong(name)) { try resolve("ops/" + name) }
    }

    /// A component of 63 bytes, so 4096-byte paths stay within the depth limit.
    private static let long = "/" + String(repeating: "abcdefgh", count: 8).dropLast()

    @Test func pathOver4096BytesIsRefused() {
        let raw = "/ops" + String(repeating: Self.long, count: 64)
        #expect(raw.utf8.count == 4100)
        #expect(throws: PathError.pathTooLong(4100)) { try resolve(raw) }
    }

    @Test func pathOf4096BytesIsAllowed() throws {
        let raw = "/ops" + String(repeating: Self.long, count: 63) + "/" + String(repeating: "a", count: 59)
        #expect(raw.utf8.count == 4096)
        #expect(try resolve(raw).string == raw)
    }

    @Test func resolvedPathOver4096BytesIsRefused() throws {
        let cwd = try resolve("/ops" + String(repeating: Self.long, count: 62))
        let relative = String(repeating: Self.long.dropFirst() + "/", count: 3)
        #expect(throws: PathError.pathTooLong(3972 + 192)) { try DropPath.resolve(relative, relativeTo: cwd) }
    }

    @Test func errorMessagesReadAsSentences() {
        #expect(PathError.parentComponent("a/../b").description == "'a/../b' leaves the drop area: '..' is not allowed")
        #expect(PathError.noDestination.description.contains("topic or @user folder"))
        #expect(PathError.invalidUTF8.description.contains("UTF-8"))
    }
}
