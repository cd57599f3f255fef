import Foundation

/// A parsed JSON value with integers kept apart from other numbers, so a
/// message's fields can be checked one by one with errors that name them.
///
/// Parsing goes through `JSONDecoder`, which rejects invalid UTF-8; the
/// nesting depth is bounded before it starts.
enum JSONValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case integer(Int64)
    /// Any number that is not an integer in the `Int64` range.
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        // Strings are tried first because offers are mostly hashes and each
        // failed attempt costs a thrown error. Integers are tried before
        // Double, which would accept them too and lose precision above 2^53.
        // Arrays and objects come last and only a type mismatch moves on, so
        // an error inside one keeps the path of the element that caused it.
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else {
            do {
                self = .array(try container.decode([JSONValue].self))
            } catch DecodingError.typeMismatch {
                do {
                    self = .object(try container.decode([String: JSONValue].self))
                } catch DecodingError.typeMismatch {
                    // JSONDecoder checks numbers and string escapes lazily,
                    // so a bad one shows up here as a value of no type.
                    throw DecodingError.dataCorruptedError(
                        in: container, debugDescription: "a number, string or literal that is not valid JSON")
                }
            }
        }
    }

    /// How deeply arrays and objects may nest. Messages use four levels
    /// (the keys in a plan's grants); the bound keeps the recursive decoding
    /// above far from the end of a thread's stack whatever a peer sends.
    static let maxDepth = 32

    /// Parses `bytes` as one JSON text.
    static func parse(_ bytes: [UInt8]) throws(ProtocolError) -> JSONValue {
        guard nestingDepth(bytes) <= maxDepth else {
            throw .badJSON("arrays and objects nest deeper than \(maxDepth) levels")
        }
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw .badJSON(Self.explain(error))
        } catch {
            throw .badJSON(String(describing: error))
        }
    }

    /// The deepest nesting of brackets and braces outside strings. Bytes
    /// that are not JSON are left for the parser to refuse.
    private static func nestingDepth(_ bytes: [UInt8]) -> Int {
        var depth = 0
        var deepest = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                deepest = max(deepest, depth)
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth -= 1
            default:
                break
            }
        }
        return deepest
    }

    /// A one-line reason from a decoding error, naming where in the
    /// message it happened when that is known.
    private static func explain(_ error: DecodingError) -> String {
        let context: DecodingError.Context
        switch error {
        case .dataCorrupted(let found), .typeMismatch(_, let found), .valueNotFound(_, let found),
             .keyNotFound(_, let found):
            context = found
        @unknown default:
            return "the text could not be parsed"
        }
        guard !context.codingPath.isEmpty else { return context.debugDescription }
        let path = context.codingPath.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }.joined()
        return "at \(path.hasPrefix(".") ? String(path.dropFirst()) : path): \(context.debugDescription)"
    }

    /// A short name of the value's kind, for error messages.
    var kind: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .integer: return "an integer"
        case .number: return "a non-integer number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}
