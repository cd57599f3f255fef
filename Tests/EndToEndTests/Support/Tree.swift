import Foundation

/// Builds folders of test files and compares extracted archives with them.
enum Tree {
    /// Writes `files` (relative path → contents) under `root`; a nil
    /// content makes an empty folder.
    static func make(at root: URL, _ files: [String: Data?]) throws {
        for (path, contents) in files {
            let url = root.appendingPathComponent(path)
            if let contents {
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try contents.write(to: url)
            } else {
                try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            }
        }
    }

    /// The SHA-256 of a file, as `sha256sum` prints it.
    static func sha256(_ path: String) throws -> String {
        try ProcessRunner.run(["sha256sum", path]).stdout.split(separator: " ").first.map(String.init) ?? ""
    }

    static func random(_ count: Int) -> Data {
        var generator = SystemRandomNumberGenerator()
        var data = Data(count: count)
        data.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                var word = generator.next()
                let n = min(8, buffer.count - offset)
                withUnsafeBytes(of: &word) { buffer.baseAddress!.advanced(by: offset).copyMemory(from: $0.baseAddress!, byteCount: n) }
                offset += n
            }
        }
        return data
    }

    /// Writes `size` random bytes to `url` in chunks, for big files.
    static func writeRandomFile(at url: URL, size: Int) throws {
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        var left = size
        while left > 0 {
            let n = min(left, 8 << 20)
            try handle.write(contentsOf: random(n))
            left -= n
        }
    }

    /// Extracts `archive` with GNU tar into a new folder and returns it.
    static func extract(_ archive: String, into parent: URL) throws -> URL {
        let out = parent.appendingPathComponent("extract-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let result = try ProcessRunner.run(["tar", "-xzf", archive, "-C", out.path])
        try result.expectSuccess("tar -xzf")
        guard result.stderr.isEmpty else { throw TestFailure("tar complained: \(result.stderr)") }
        return out
    }

    /// `diff -r`: nil when the trees are identical, the differences otherwise.
    static func difference(_ a: URL, _ b: URL) throws -> String? {
        let result = try ProcessRunner.run(["diff", "-r", a.path, b.path])
        return result.succeeded ? nil : result.stdout + result.stderr
    }

    /// The relative paths of every file and folder under `root`, sorted.
    static func listing(_ root: URL) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: root.path) else { return [] }
        return (enumerator.allObjects as? [String] ?? []).sorted()
    }
}
