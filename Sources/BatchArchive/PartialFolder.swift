#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The hidden folder an extraction fills before it appears under its final
/// name: `.<name>.partial-XXXXXX` beside the destination, so the final rename
/// stays on one file system and is atomic. It is either published (renamed
/// into place) or discarded (removed with everything in it).
struct PartialFolder {
    /// Absolute path of the partial folder, free of symbolic links.
    let path: String
    /// Absolute path the folder takes when published.
    let destination: String
    /// The destination as the caller spelled it, for messages.
    let requested: String

    /// Checks `requested` and creates an empty partial folder beside it.
    ///
    /// The parent is resolved with `realpath` because libarchive's symlink
    /// guard inspects every component of the path it is given, including
    /// ancestors such as a symlinked home directory, and would refuse them.
    init(for requested: String) throws(ExtractionError) {
        var trimmed = Substring(requested)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        let slash = trimmed.lastIndex(of: "/")
        let name = slash.map { String(trimmed[trimmed.index(after: $0)...]) } ?? String(trimmed)
        guard !name.isEmpty, name != ".", name != ".." else { throw .invalidDestination(requested) }
        let parent: String
        if let slash {
            parent = slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
        } else {
            parent = "."
        }

        guard let resolved = realpath(parent, nil) else { throw .parentUnusable(path: parent, errno: errno) }
        let realParent = String(cString: resolved)
        free(resolved)
        let prefix = realParent == "/" ? "/" : realParent + "/"
        destination = prefix + name
        self.requested = requested

        var info = stat()
        if lstat(destination, &info) == 0 { throw .destinationExists(requested) }
        guard errno == ENOENT else { throw .parentUnusable(path: parent, errno: errno) }

        var template = Array((prefix + "." + name + ".partial-XXXXXX").utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer in
            mkdtemp(buffer.baseAddress!) != nil
        }
        guard created else { throw .partialFolderFailed(parent: realParent, errno: errno) }
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Gives the folder its final mode and moves it to the destination.
    ///
    /// `rename` refuses a non-empty folder or a file already at the
    /// destination; an empty folder created there since `init` checked would
    /// be replaced, which loses nothing.
    func publish() throws(ExtractionError) {
        guard chmod(path, 0o755) == 0 else { throw .publishFailed(destination: requested, errno: errno) }
        guard rename(path, destination) == 0 else {
            let code = errno
            if code == EEXIST || code == ENOTEMPTY || code == ENOTDIR { throw .destinationExists(requested) }
            throw .publishFailed(destination: requested, errno: code)
        }
    }

    /// Removes the folder and everything in it and returns the error to
    /// report: `cause`, or `cleanupFailed` wrapping it when something stayed.
    func discard(after cause: ExtractionError) -> ExtractionError {
        let code = Self.removeTree(at: AT_FDCWD, name: path)
        return code == 0 ? cause : .cleanupFailed(partial: path, errno: code, cause: cause)
    }

    /// Removes `name` (relative to the folder `parent`) and, if it is a
    /// folder, everything below it, never following a symbolic link.
    /// Returns 0 or the first errno met.
    private static func removeTree(at parent: Int32, name: String) -> Int32 {
        var info = stat()
        guard fstatat(parent, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return errno == ENOENT ? 0 : errno }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            return unlinkat(parent, name, 0) == 0 ? 0 : errno
        }
        let folder = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard folder >= 0 else { return errno }
        // fdopendir owns `folder` from here and closedir closes it.
        guard let stream = fdopendir(folder) else {
            let code = errno
            close(folder)
            return code
        }
        var children: [String] = []
        while let child = readdir(stream) {
            let childName = withUnsafePointer(to: child.pointee.d_name) { tuple in
                tuple.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: tuple.pointee)) { String(cString: $0) }
            }
            if childName != "." && childName != ".." { children.append(childName) }
        }
        var firstError: Int32 = 0
        for child in children {
            let code = removeTree(at: dirfd(stream), name: child)
            if firstError == 0 { firstError = code }
        }
        closedir(stream)
        if firstError != 0 { return firstError }
        return unlinkat(parent, name, AT_REMOVEDIR) == 0 ? 0 : errno
    }
}
