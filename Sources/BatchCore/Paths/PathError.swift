/// Why a client-supplied path was refused. Each description is the message
/// the client sees in its SFTP status or scp error line.
public enum PathError: Error, Sendable, Equatable, CustomStringConvertible {
    case badDestination(String)
    case parentComponent(String)
    case nulByte
    case controlCharacter(String)
    case backslash(String)
    case nameTooLong(String)
    case pathTooLong(Int)
    case tooDeep(Int)
    case empty
    case invalidUTF8
    case noDestination
    case badComponent(String)

    public var description: String {
        switch self {
        case .badDestination(let c):
            return "'\(c)' is not a topic or @user list; names use letters, digits, '.', '_' and '-'"
        case .parentComponent(let p):
            return "'\(p)' leaves the drop area: '..' is not allowed"
        case .nulByte:
            return "path contains a NUL byte"
        case .controlCharacter(let p):
            return "'\(p)' contains a control character"
        case .backslash(let p):
            return "'\(p)' contains a backslash, which is not allowed in drop paths"
        case .nameTooLong(let n):
            return "name '\(n.prefix(32))…' is longer than 255 bytes"
        case .pathTooLong(let count):
            return "path of \(count) bytes is longer than 4096 bytes"
        case .tooDeep(let depth):
            return "path of \(depth)+ levels is deeper than \(DropPath.maxDepth)"
        case .empty:
            return "empty path"
        case .invalidUTF8:
            return "path is not valid UTF-8; drop paths must be UTF-8 text"
        case .badComponent(let name):
            return "'\(name)' is not a single file name"
        case .noDestination:
            return "files cannot be dropped at the top level; put them in a topic or @user folder, such as ops/"
        }
    }
}
