import Foundation

/// The parts of OpenSSH known_hosts handling that libssh leaves to its
/// caller: creating the file safely, and pointing at the offending line
/// when a host key changed, as `ssh` does.
enum KnownHostsFile {
    /// How known_hosts names a host: `host` on port 22, else `[host]:port`,
    /// lower-cased as libssh and OpenSSH compare it.
    static func hostPattern(host: String, port: Int) -> String {
        let name = host.lowercased()
        return port == 22 ? name : "[\(name)]:\(port)"
    }

    /// libssh expands `%` escapes and a leading `~` in the path it is given;
    /// doubling `%` keeps a literal path literal.
    static func libsshPath(_ path: String) -> String {
        path.replacingOccurrences(of: "%", with: "%%")
    }

    /// Refuses a file that exists but cannot be read: libssh would treat it
    /// as empty, and every host would look unknown.
    static func checkReadable(_ path: String) throws(SSHKitError) {
        guard FileManager.default.fileExists(atPath: path) else { return }
        guard access(path, R_OK) == 0 else {
            throw .knownHosts(path: path, reason: String(cString: strerror(errno)))
        }
    }

    /// Creates the file (mode 0600) and its folder (mode 0700) if missing,
    /// so that libssh only ever appends to a private file.
    static func prepare(_ path: String) throws(SSHKitError) {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty && !FileManager.default.fileExists(atPath: folder) {
            do {
                try FileManager.default.createDirectory(
                    atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw .knownHosts(path: path, reason: "cannot create its folder: \(error.localizedDescription)")
            }
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw .knownHosts(path: path, reason: String(cString: strerror(errno)))
        }
        close(fd)
    }

    /// Line numbers (from 1) of the plain-text entries naming this host.
    /// Hashed entries cannot be matched without the host's HMAC, so the
    /// error message also suggests `ssh-keygen -R`, which handles them.
    static func lines(naming host: String, port: Int, in path: String) -> [Int] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let wanted = hostPattern(host: host, port: port)
        var found: [Int] = []
        let text = String(decoding: data, as: UTF8.self)
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })[...]
            if fields.first?.hasPrefix("@") == true { fields = fields.dropFirst() }
            guard let hosts = fields.first, !hosts.hasPrefix("#") else { continue }
            if hosts.split(separator: ",").contains(where: { $0.lowercased() == wanted }) {
                found.append(index + 1)
            }
        }
        return found
    }
}
