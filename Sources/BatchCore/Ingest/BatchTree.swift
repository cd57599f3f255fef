/// The tree of one open batch: every folder and file a source made below
/// the destination, by relative path ("nightly/a.txt"; the destination
/// itself is ""). It holds the rules every client's requests obey (a parent
/// must exist, a folder is removed only empty, a rename moves a whole
/// subtree) and keeps the archive's order: each entry takes a sequence
/// number when it goes into the archive, and an archived entry that is
/// renamed, removed or reopened means the archive must be written again
/// from staging at seal (`rebuildNeeded`).
///
/// Files are named by an id the owner gives (its staged copy); the tree
/// knows nothing of their bytes. Pure: no I/O, no clock.
public struct BatchTree: Sendable, Equatable {
    /// What a path holds.
    public enum Node: Sendable, Equatable {
        case directory(mode: UInt32, mtime: Int64)
        case file(id: Int)
    }

    private struct Slot: Sendable, Equatable {
        var node: Node
        /// Its place in the archive, once it has one.
        var sequence: Int?
    }

    private var slots: [String: Slot] = [:]
    private var paths: [Int: String] = [:]
    private var nextSequence = 0
    /// Set when something already archived was renamed, removed or
    /// reopened: the archive is then written again from staging at seal.
    public private(set) var rebuildNeeded = false

    public init() {}

    // MARK: - Lookups

    /// What `path` holds; the destination itself ("") is a folder.
    public func node(at path: String) -> Node? {
        path.isEmpty ? .directory(mode: 0o755, mtime: 0) : slots[path]?.node
    }

    public func isDirectory(_ path: String) -> Bool {
        if case .directory = node(at: path) { return true }
        return false
    }

    /// Where file `id` is now, if it is in the tree.
    public func path(of id: Int) -> String? { paths[id] }

    /// Whether file `id` (or the folder at a path) has its place in the archive.
    public func isArchived(_ id: Int) -> Bool {
        paths[id].flatMap { slots[$0]?.sequence } != nil
    }

    /// Every file id in the tree.
    public var fileIDs: [Int] { Array(paths.keys) }

    public var isEmpty: Bool { slots.isEmpty }

    /// Names directly inside the folder `path`, sorted by name.
    public func children(of path: String) -> [(name: String, node: Node)] {
        let prefix = path.isEmpty ? "" : path + "/"
        return slots.compactMap { key, slot -> (name: String, node: Node)? in
            guard key.hasPrefix(prefix) else { return nil }
            let rest = key.dropFirst(prefix.count)
            guard !rest.isEmpty, !PathComponents.containsSeparator(rest) else { return nil }
            return (String(rest), slot.node)
        }.sorted { $0.name < $1.name }
    }

    /// Every entry, in archive order: archived ones by sequence, the rest
    /// after them by path (folders before what they hold).
    public func ordered() -> [(path: String, node: Node)] {
        slots.sorted { a, b in
            switch (a.value.sequence, b.value.sequence) {
            case let (x?, y?): return x < y
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return a.key < b.key
            }
        }.map { (path: $0.key, node: $0.value.node) }
    }

    // MARK: - Changes

    /// Adds a folder; it goes into the archive at once (returns its sequence).
    @discardableResult
    public mutating func makeDirectory(_ path: String, mode: UInt32, mtime: Int64) throws(BatchTreeError) -> Int {
        guard !path.isEmpty, slots[path] == nil else { throw .alreadyExists(path) }
        try requireParent(of: path)
        let sequence = takeSequence()
        slots[path] = Slot(node: .directory(mode: mode, mtime: mtime), sequence: sequence)
        return sequence
    }

    public mutating func removeDirectory(_ path: String) throws(BatchTreeError) {
        guard let slot = slots[path] else { throw .noSuchFile(path) }
        guard case .directory = slot.node else { throw .notADirectory(path) }
        guard children(of: path).isEmpty else { throw .directoryNotEmpty(path) }
        slots[path] = nil
        if slot.sequence != nil { rebuildNeeded = true }
    }

    /// Checks that a file may be opened for writing at `path`, and returns
    /// the id of the file already there, if any.
    public func fileToOpen(at path: String, exclusive: Bool) throws(BatchTreeError) -> Int? {
        guard !path.isEmpty else { throw .isADirectory(path) }
        try requireParent(of: path)
        switch slots[path]?.node {
        case .directory?: throw .isADirectory(path)
        case .file(let id)?:
            if exclusive { throw .alreadyExists(path) }
            return id
        case nil: return nil
        }
    }

    /// Puts file `id` at `path` (checked with `fileToOpen`), replacing the
    /// file there; returns the replaced file's id.
    @discardableResult
    public mutating func placeFile(_ id: Int, at path: String) throws(BatchTreeError) -> Int? {
        let old = try fileToOpen(at: path, exclusive: false)
        if let old { forget(old) }
        slots[path] = Slot(node: .file(id: id), sequence: nil)
        paths[id] = path
        return old
    }

    /// File `id` goes into the archive now: it takes the next place.
    @discardableResult
    public mutating func archive(_ id: Int) -> Int? {
        guard let path = paths[id] else { return nil }
        let sequence = takeSequence()
        slots[path]?.sequence = sequence
        return sequence
    }

    /// File `id` changes again after it was archived (reopened, or its
    /// streamed entry broke off): it loses its place, and the archive is
    /// written again at seal.
    public mutating func unarchive(_ id: Int) {
        guard let path = paths[id], slots[path]?.sequence != nil else { return }
        slots[path]?.sequence = nil
        rebuildNeeded = true
    }

    /// Removes the file at `path`; returns its id.
    public mutating func removeFile(_ path: String) throws(BatchTreeError) -> Int {
        guard let slot = slots[path] else { throw .noSuchFile(path) }
        guard case .file(let id) = slot.node else { throw .isADirectory(path) }
        forget(id)
        return id
    }

    /// Removes file `id` wherever it is now (it failed, or is left out at seal).
    public mutating func removeFile(id: Int) {
        forget(id)
    }

    /// Renames a file or folder with everything below it. `replace` is
    /// POSIX rename (a file may replace a file); plain SFTP v3 rename
    /// refuses to overwrite. Returns the id of a replaced file.
    @discardableResult
    public mutating func rename(_ from: String, to: String, replace: Bool) throws(BatchTreeError) -> Int? {
        guard !from.isEmpty, let moving = slots[from] else { throw .noSuchFile(from) }
        guard !to.isEmpty else { throw .alreadyExists(to) }
        guard to != from else { return nil }
        guard !to.hasPrefix(from + "/") else { throw .intoItself(from: from, to: to) }
        try requireParent(of: to)
        var replaced: Int?
        if let existing = slots[to] {
            guard replace, case .file(let old) = existing.node, case .file = moving.node else { throw .alreadyExists(to) }
            forget(old)
            replaced = old
        }
        let prefix = from + "/"
        let moved = slots.filter { $0.key == from || $0.key.hasPrefix(prefix) }
        for key in moved.keys { slots[key] = nil }
        for (key, slot) in moved {
            let newKey = to + key.dropFirst(from.count)
            if slot.sequence != nil { rebuildNeeded = true }
            slots[newKey] = slot
            if case .file(let id) = slot.node { paths[id] = newKey }
        }
        return replaced
    }

    // MARK: - Helpers

    private mutating func forget(_ id: Int) {
        guard let path = paths.removeValue(forKey: id), let slot = slots.removeValue(forKey: path) else { return }
        if slot.sequence != nil { rebuildNeeded = true }
    }

    private func requireParent(of path: String) throws(BatchTreeError) {
        let parent = PathComponents.split(path).dropLast().joined(separator: "/")
        guard isDirectory(parent) else {
            throw node(at: parent) == nil ? .noSuchFile(parent) : .notADirectory(parent)
        }
    }

    private mutating func takeSequence() -> Int {
        nextSequence += 1
        return nextSequence
    }
}
