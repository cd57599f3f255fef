/// The recipients of a batch, named by the first component of a drop path:
/// a topic (`ops`) or an explicit list of target users (`@bob,carol`).
public enum Destination: Sendable, Hashable, Codable {
    case topic(String)
    case users([String])

    /// Parses the first path component of a drop path.
    public init(component: String) throws(PathError) {
        if component.hasPrefix("@") {
            let names = component.dropFirst().split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard !names.isEmpty, names.allSatisfy({ !$0.isEmpty && Destination.isValidName($0) }) else {
                throw .badDestination(component)
            }
            var seen = Set<String>()
            self = .users(names.filter { seen.insert($0).inserted })
        } else {
            guard Destination.isValidName(component) else { throw .badDestination(component) }
            self = .topic(component)
        }
    }

    /// The component as a client spells it (`ops` or `@bob,carol`).
    public var component: String {
        switch self {
        case .topic(let name): return name
        case .users(let names): return "@" + names.joined(separator: ",")
        }
    }

    /// The topic's name, or nil for a drop to named users.
    public var topicName: String? {
        if case .topic(let name) = self { return name }
        return nil
    }

    /// User and topic names: 1–64 bytes of ASCII letters, digits, `.`, `_`
    /// and `-`, not starting with `.` or `-`.
    public static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...64).contains(bytes.count), bytes[0] != UInt8(ascii: "."), bytes[0] != UInt8(ascii: "-") else {
            return false
        }
        return bytes.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
        }
    }
}
