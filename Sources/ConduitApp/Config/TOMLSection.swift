import TOMLKit

/// Typed, key-tracking access to one `[section]` of the config: each read
/// records the key, so whatever is left over afterwards is unknown.
struct TOMLSection {
    let path: String
    let name: String
    let table: TOMLTable
    private(set) var consumed: Set<String> = []

    init(path: String, name: String, table: TOMLTable) {
        self.path = path
        self.name = name
        self.table = table
    }

    func key(_ key: String) -> String { "\(name).\(key)" }

    mutating func string(_ key: String) throws(ConfigError) -> String? {
        guard let value = take(key) else { return nil }
        guard let string = value.string else { throw wrongType(key, "a string", value) }
        return string
    }

    mutating func bool(_ key: String) throws(ConfigError) -> Bool? {
        guard let value = take(key) else { return nil }
        guard value.type == .bool, let bool = value.bool else { throw wrongType(key, "true or false", value) }
        return bool
    }

    mutating func int(_ key: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int? {
        guard let value = take(key) else { return nil }
        guard value.type == .int, let int = value.int else { throw wrongType(key, "an integer", value) }
        guard range.contains(int) else {
            throw ConfigError.invalidValue(path: path, key: self.key(key), reason: "\(int) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return int
    }

    mutating func stringArray(_ key: String) throws(ConfigError) -> [String]? {
        guard let value = take(key) else { return nil }
        guard let array = value.array else { throw wrongType(key, "an array of strings", value) }
        var strings: [String] = []
        for (index, element) in array.enumerated() {
            guard let string = element.string else {
                throw ConfigError.wrongType(path: path, key: "\(self.key(key))[\(index)]", expected: "a string", found: Self.describe(element))
            }
            strings.append(string)
        }
        return strings
    }

    func invalid(_ key: String, _ reason: String) -> ConfigError {
        ConfigError.invalidValue(path: path, key: self.key(key), reason: reason)
    }

    /// Keys present in the file but never read.
    var unknownKeys: [String] {
        table.keys.filter { !consumed.contains($0) }.sorted().map { key($0) }
    }

    private mutating func take(_ key: String) -> (any TOMLValueConvertible)? {
        consumed.insert(key)
        return table[key]
    }

    private func wrongType(_ key: String, _ expected: String, _ value: any TOMLValueConvertible) -> ConfigError {
        ConfigError.wrongType(path: path, key: self.key(key), expected: expected, found: Self.describe(value))
    }

    static func describe(_ value: any TOMLValueConvertible) -> String {
        switch value.type {
        case .table: "a table"
        case .array: "an array"
        case .string: "a string"
        case .int: "an integer"
        case .double: "a float"
        case .bool: "a boolean"
        case .date: "a date"
        case .time: "a time"
        case .dateTime: "a date-time"
        }
    }
}
