import ConduitMIME
import Mustache

/// The payload as a template sees it, built so that every piece of work a
/// render does goes through a `RenderMeter`: lists count each pass of a
/// section over them, values count the bytes they render, and once the
/// budget is spent lists stop yielding and values render nothing.
/// swift-mustache has no budget of its own; these are its extension points
/// (`MustacheSequence`, `MustacheParent`, `MustacheCustomRenderable`,
/// `MustacheTransformable`).
///
/// What a template sees is what the plain dictionaries gave it before:
/// `null` members are left out (`{{tag}}` renders nothing, `{{#tag}}` is
/// skipped), lists iterate, names resolve up the context stack, and the
/// built-in transforms (`count(to)`, `uppercased(subject)`, …) work. An object or a
/// list used as a value (`{{{.}}}`, `{{{from}}}`) renders as its JSON.
enum MeteredView {
    /// The view of `value` (`nil` for `null`) and the length of its JSON
    /// text. `key` is the member name `value` is found under (lists are
    /// charged per pass by the sections that name them).
    static func build(_ value: JSONValue, key: String? = nil, meter: RenderMeter) -> (node: Any?, jsonBytes: Int) {
        switch value {
        case .null:
            return (nil, 4)
        case let .bool(bool):
            // Sections need a real Bool (false skips); it renders 4–5 bytes,
            // no more than the tag that names it.
            return (bool, bool ? 4 : 5)
        case let .int(int):
            let text = MeteredText(int: int, meter: meter)
            return (text, text.renderedBytes)
        case let .string(string):
            let text = MeteredText(string: string, meter: meter)
            return (text, text.renderedBytes + 2)
        case let .array(values):
            var elements: [Any] = []
            var bytes = values.isEmpty ? 2 : 1 + values.count
            for value in values {
                let (node, length) = build(value, key: key, meter: meter)
                bytes += length
                if let node { elements.append(node) }
            }
            return (MeteredList(elements: elements, json: value, jsonBytes: bytes, key: key, meter: meter), bytes)
        case let .object(pairs):
            var members: [(String, Any)] = []
            var bytes = pairs.isEmpty ? 2 : 1 + pairs.count
            for (name, member) in pairs {
                let (node, length) = build(member, key: name, meter: meter)
                bytes += JSONEscaping.escapedBytes(name) + 3 + length
                if let node { members.append((name, node)) }
            }
            return (MeteredObject(members: members, json: value, jsonBytes: bytes, key: key, meter: meter), bytes)
        }
    }
}

/// A string or number. `renderedBytes` is its length escaped for a JSON
/// string, the most either `{{x}}` or `{{{x}}}` renders.
struct MeteredText: MustacheCustomRenderable, MustacheParent, MustacheTransformable {
    enum Value {
        case string(String)
        case int(Int)
    }

    let value: Value
    let text: String
    let renderedBytes: Int
    let meter: RenderMeter

    init(string: String, meter: RenderMeter) {
        value = .string(string)
        text = string
        renderedBytes = JSONEscaping.escapedBytes(string)
        self.meter = meter
    }

    init(int: Int, meter: RenderMeter) {
        value = .int(int)
        text = String(int)
        renderedBytes = text.utf8.count
        self.meter = meter
    }

    var renderText: String { meter.charge(bytes: renderedBytes) ? text : "" }
    var isNull: Bool { false }

    /// A scalar has no members: names inside `{{#subject}}…{{/subject}}`
    /// resolve further up the stack, as they did for a plain String.
    func child(named: String) -> Any? { nil }

    func transform(_ name: String) -> Any? {
        let result: Any?
        switch value {
        case let .string(string): result = string.transform(name)
        case let .int(int): result = int.transform(name)
        }
        switch result {
        case let bool as Bool: return bool
        case let int as Int: return MeteredText(int: int, meter: meter)
        case let string as String: return MeteredText(string: string, meter: meter)
        case let substring as Substring: return MeteredText(string: String(substring), meter: meter)
        default: return nil
        }
    }
}

/// A JSON object: members by name (nulls left out), rendered as its JSON.
struct MeteredObject: MustacheParent, MustacheCustomRenderable, MustacheTransformable {
    let members: [(String, Any)]
    let json: JSONValue
    let jsonBytes: Int
    /// The member name it is found under (`enumerated(from)` is a list under `from`).
    let key: String?
    let meter: RenderMeter

    func child(named name: String) -> Any? {
        members.first { $0.0 == name }?.1
    }

    /// Charged at its JSON length; escaping that for a JSON string (`{{.}}`
    /// rather than `{{{.}}}`) at most doubles it, and the finished body is
    /// measured again.
    var renderText: String { meter.charge(bytes: jsonBytes) ? json.serialized() : "" }
    var isNull: Bool { false }

    func transform(_ name: String) -> Any? {
        switch name {
        case "count": return MeteredText(int: members.count, meter: meter)
        case "empty": return members.isEmpty
        case "enumerated": return pairs(members)
        case "sorted": return pairs(members.sorted { $0.0 < $1.0 })
        default: return nil
        }
    }

    /// `{key, value}` objects, as swift-mustache's Dictionary transforms give.
    private func pairs(_ list: [(String, Any)]) -> MeteredList {
        guard case let .object(jsonMembers) = json else { return MeteredList(elements: [], json: .array([]), jsonBytes: 2, key: key, meter: meter) }
        var elements: [Any] = []
        var jsonPairs: [JSONValue] = []
        for (name, node) in list {
            let value = jsonMembers.first { $0.0 == name }?.1 ?? .null
            let pairJSON = JSONValue.object([("key", .string(name)), ("value", value)])
            jsonPairs.append(pairJSON)
            elements.append(MeteredObject(
                members: [("key", MeteredText(string: name, meter: meter)), ("value", node)], json: pairJSON,
                jsonBytes: pairJSON.serialized().utf8.count, key: key, meter: meter
            ))
        }
        let listJSON = JSONValue.array(jsonPairs)
        return MeteredList(elements: elements, json: listJSON, jsonBytes: listJSON.serialized().utf8.count, key: key, meter: meter)
    }
}

/// A JSON array: a section over it is one metered pass per element.
struct MeteredList: MustacheSequence, MustacheParent, MustacheCustomRenderable, MustacheTransformable {
    let elements: [Any]
    let json: JSONValue
    let jsonBytes: Int
    /// The member name it is found under: the sections that iterate it are
    /// `{{#key}}` ones, and a pass is charged their longest body.
    let key: String?
    let meter: RenderMeter

    struct Iterator: IteratorProtocol {
        var remaining: IndexingIterator<[Any]>
        let passBytes: Int
        let meter: RenderMeter

        mutating func next() -> Any? {
            guard let element = remaining.next(), meter.iterate(bytes: passBytes) else { return nil }
            return element
        }
    }

    func makeIterator() -> Iterator {
        Iterator(remaining: elements.makeIterator(), passBytes: meter.passBytes(key: key), meter: meter)
    }

    func child(named: String) -> Any? { nil }

    var renderText: String { meter.charge(bytes: jsonBytes) ? json.serialized() : "" }
    var isNull: Bool { false }

    func transform(_ name: String) -> Any? {
        switch name {
        case "first": return elements.first
        case "last": return elements.last
        case "count": return MeteredText(int: elements.count, meter: meter)
        case "empty": return elements.isEmpty
        case "reversed":
            guard case let .array(values) = json else { return nil }
            return MeteredList(elements: elements.reversed(), json: .array(values.reversed()), jsonBytes: jsonBytes, key: key, meter: meter)
        default: return nil
        }
    }
}

/// Lengths of JSON string escaping, as `JSONValue.serialized` writes it.
enum JSONEscaping {
    /// Bytes of `text` escaped for the inside of a JSON string (no quotes).
    static func escapedBytes(_ text: String) -> Int {
        var bytes = 0
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"", "\\", "\n", "\r", "\t": bytes += 2
            case "\u{2028}", "\u{2029}": bytes += 6
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    bytes += 6
                } else {
                    bytes += UTF8.width(scalar)
                }
            }
        }
        return bytes
    }
}
