import Foundation

extension Batchctl {
    /// The `StateDirectory` value of a batchd.conf(5) file, or nil when the
    /// file does not set it. The file has `Keyword value` lines as in
    /// sshd_config(5) (keywords case-insensitive, `#` comments, optional
    /// `=`, a double-quoted value); only this keyword matters to batchctl.
    static func stateDirectory(fromConfig path: String) throws(AdminError) -> String? {
        try value(of: "StateDirectory", inConfig: path)
    }

    /// The whole batchd.conf(5) file, read as batchd reads it; a file
    /// batchd would refuse is refused with its first error.
    static func configuration(fromFile path: String) throws(AdminError) -> ServerConfiguration {
        do {
            return try ServerConfiguration.load(path: path)
        } catch let error as ConfigurationError {
            throw .configUnreadable(path: path, reason: error.description)
        } catch {
            throw .configUnreadable(path: path, reason: "\(error)")
        }
    }

    /// The value of `keyword` in a batchd.conf(5) file, or nil when unset.
    static func value(of keyword: String, inConfig path: String) throws(AdminError) -> String? {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? error.localizedDescription : "no such file"
            throw .configUnreadable(path: path, reason: reason)
        }
        let wanted = keyword.lowercased()
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            let keyword = line.prefix { !$0.isWhitespace && $0 != "=" }
            guard keyword.lowercased() == wanted else { continue }
            var value = line.dropFirst(wanted.count).drop { $0.isWhitespace }
            if value.first == "=" { value = value.dropFirst().drop { $0.isWhitespace } }
            var result = String(value)
            if result.count >= 2, result.hasPrefix("\""), result.hasSuffix("\"") {
                result = String(result.dropFirst().dropLast())
            }
            guard !result.isEmpty else {
                throw .configUnreadable(path: path, reason: "\(keyword) has no value")
            }
            return result
        }
        return nil
    }
}
