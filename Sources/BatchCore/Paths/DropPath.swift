/// A checked, normalized path inside the virtual drop tree every upload
/// lands in. The tree's root is `/` (what REALPATH "." answers); its first
/// level is the destination (`ops`, `@bob,carol`), everything below it the
/// batch's relative path.
///
/// A `DropPath` is only ever built from components that passed the rules
/// in ``resolve(_:relativeTo:)-([UInt8],_)``, so code holding one can join
/// it below a staging directory without checking again.
public struct DropPath: Sendable, Hashable, CustomStringConvertible {
    /// Longest name accepted for one component, in bytes (NAME_MAX).
    public static let maxComponentLength = 255
    /// Longest whole path accepted, in bytes (PATH_MAX).
    public static let maxPathLength = 4096
    /// Most components a path may have, destination included.
    public static let maxDepth = 128

    /// The path's names from the root down; empty at the root.
    public let components: [String]

    /// The root of the drop tree.
    public static let root = DropPath(checked: [])

    private init(checked components: [String]) {
        self.components = components
    }

    /// Resolves a path a client sent against `cwd`.
    ///
    /// Absolute paths are taken from the drop tree's root, relative ones
    /// from `cwd`; `.` components and repeated or trailing `/` collapse.
    /// Refused, never repaired: any `..` component, NUL and other control
    /// characters (C0 0x00–0x1f, DEL, C1 U+0080–U+009F such as the one-byte
    /// CSI U+009B, and the bidirectional overrides that reorder what a
    /// reader sees), backslashes, invalid UTF-8, a component over 255 bytes,
    /// a raw or resolved path over 4096 bytes, and more than 128 components. Percent
    /// sequences such as `%2e%2e` are ordinary characters: nothing is
    /// decoded. An empty path means `cwd`, as OpenSSH's REALPATH treats it.
    public static func resolve(_ raw: [UInt8], relativeTo cwd: DropPath) throws(PathError) -> DropPath {
        guard raw.count <= maxPathLength else { throw .pathTooLong(raw.count) }
        guard !raw.contains(0) else { throw .nulByte }
        guard let text = String(strictUTF8: raw) else { throw .invalidUTF8 }
        guard !text.unicodeScalars.contains(where: { $0 != "\\" && TerminalText.needsEscape($0) }) else {
            throw .controlCharacter(TerminalText.escaped(text))
        }
        guard !raw.contains(UInt8(ascii: "\\")) else { throw .backslash(text) }

        var components = raw.first == UInt8(ascii: "/") ? [] : cwd.components
        for part in PathComponents.split(text) {
            switch part {
            case ".":
                continue
            case "..":
                throw .parentComponent(text)
            default:
                guard part.utf8.count <= maxComponentLength else { throw .nameTooLong(part) }
                components.append(part)
                guard components.count <= maxDepth else { throw .tooDeep(components.count) }
            }
        }
        let path = DropPath(checked: components)
        let length = path.string.utf8.count
        guard length <= maxPathLength else { throw .pathTooLong(length) }
        return path
    }

    /// Resolves a path given as text; see ``resolve(_:relativeTo:)-([UInt8],_)``.
    public static func resolve(_ raw: String, relativeTo cwd: DropPath) throws(PathError) -> DropPath {
        try resolve(Array(raw.utf8), relativeTo: cwd)
    }

    /// The path one level down, for a single name such as an scp record's.
    /// The name must be one component: no `/`, not `.` or `..`.
    public func appending(_ name: String) throws(PathError) -> DropPath {
        guard !name.isEmpty else { throw .empty }
        guard name != ".", !PathComponents.containsSeparator(name) else { throw .badComponent(name) }
        return try DropPath.resolve(Array(name.utf8), relativeTo: self)
    }

    /// The path one level up; `nil` at the root.
    public var parent: DropPath? {
        isRoot ? nil : DropPath(checked: Array(components.dropLast()))
    }

    /// The last name; `nil` at the root.
    public var name: String? { components.last }

    /// Whether this is the root of the drop tree.
    public var isRoot: Bool { components.isEmpty }

    /// The destination named by the first component; `nil` at the root or
    /// when that component is not a valid topic or `@user` list (use
    /// ``requireDestination()`` to learn why).
    public var destination: Destination? {
        try? requireDestination()
    }

    /// The destination named by the first component, or the reason there
    /// is none: ``PathError/noDestination`` at the root, otherwise
    /// ``PathError/badDestination(_:)``.
    public func requireDestination() throws(PathError) -> Destination {
        guard let first = components.first else { throw .noDestination }
        return try Destination(component: first)
    }

    /// The components below the destination: the path inside the batch.
    public var relative: [String] { Array(components.dropFirst()) }

    /// The absolute path as clients see it: `/`, `/ops`, `/ops/a/b`.
    public var string: String { "/" + components.joined(separator: "/") }

    public var description: String { string }

}
