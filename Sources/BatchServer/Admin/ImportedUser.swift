import BatchCore
import BatchStore
import Foundation

/// One user of a `batchctl user import` file: a name and its keys.
///
/// The file has one line per key, `NAME` then an `authorized_keys` line;
/// several lines with one name give that user several keys. Blank lines and
/// lines starting with `#` are skipped.
struct ImportedUser: Equatable {
    var name: String
    var keys: [NewKey]

    /// The users in `text`, in the order of their first line; `path` names
    /// the file in errors, with the line number.
    static func parse(_ text: String, path: String) throws(AdminError) -> [ImportedUser] {
        var users: [ImportedUser] = []
        var index: [String: Int] = [:]
        for (offset, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = rawLine.drop { $0 == " " || $0 == "\t" }
            if line.isEmpty || line.hasPrefix("#") { continue }
            let name = String(line.prefix { $0 != " " && $0 != "\t" })
            let keyLine = line.dropFirst(name.count).trimmingCharacters(in: .whitespaces)
            let lineNumber = offset + 1
            guard Destination.isValidName(name) else {
                throw .keyFileInvalid(path: path, reason: "line \(lineNumber): '\(TerminalText.escaped(name))' is not a user name (letters, digits, '.', '_' and '-')")
            }
            guard !keyLine.isEmpty else {
                throw .keyFileInvalid(path: path, reason: "line \(lineNumber): the user name must be followed by a public key")
            }
            let key: NewKey
            do {
                key = KeyFile.newKey(try AuthorizedKey(line: keyLine))
            } catch {
                throw .keyFileInvalid(path: path, reason: "line \(lineNumber): \(error)")
            }
            if let existing = index[name] {
                users[existing].keys.append(key)
            } else {
                index[name] = users.count
                users.append(ImportedUser(name: name, keys: [key]))
            }
        }
        guard !users.isEmpty else {
            throw .keyFileInvalid(path: path, reason: "it names no user")
        }
        return users
    }
}
