/// A JSON value whose objects keep their key order, so the payload
/// serialises deterministically (golden files, signatures over the body)
/// and the same tree can feed a Mustache renderer.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    /// `.string`, or `.null` for `nil`.
    public static func nullable(_ value: String?) -> JSONValue {
        value.map { .string($0) } ?? .null
    }

    /// The member `key` of an object, else `nil`.
    public subscript(key: String) -> JSONValue? {
        guard case let .object(members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    /// Structural equality; object members compare in order.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case let (.bool(a), .bool(b)): a == b
        case let (.int(a), .int(b)): a == b
        case let (.string(a), .string(b)): a == b
        case let (.array(a), .array(b)): a == b
        case let (.object(a), .object(b)): a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    /// The value as Foundation-style nested values (`[String: Any]`,
    /// `[Any]`, `String`, `Int`, `Bool`, `NSNull`-free: null is `Optional<Any>.none`),
    /// for template engines that walk dictionaries.
    public var anyValue: Any? {
        switch self {
        case .null: nil
        case let .bool(value): value
        case let .int(value): value
        case let .string(value): value
        case let .array(values): values.map { $0.anyValue as Any }
        case let .object(members): Dictionary(members.map { ($0.0, $0.1.anyValue as Any) }, uniquingKeysWith: { first, _ in first })
        }
    }
}
