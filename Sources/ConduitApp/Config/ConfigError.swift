/// A configuration problem, always naming the file and, where there is one,
/// the key (`smtp.max_recipients`), so an operator can fix it without guessing.
public enum ConfigError: Error, Equatable, CustomStringConvertible {
    /// The file could not be read.
    case unreadable(path: String, reason: String)
    /// The file is not valid TOML.
    case syntax(path: String, line: Int, column: Int, message: String)
    /// A `[section]` Conduit does not know.
    case unknownSection(path: String, section: String)
    /// A key Conduit does not know.
    case unknownKey(path: String, key: String)
    /// A value of the wrong TOML type.
    case wrongType(path: String, key: String, expected: String, found: String)
    /// A value of the right type that is not acceptable.
    case invalidValue(path: String, key: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            "\(path): cannot read configuration: \(reason)"
        case let .syntax(path, line, column, message):
            "\(path):\(line):\(column): invalid TOML: \(message)"
        case let .unknownSection(path, section):
            "\(path): unknown section [\(section)]"
        case let .unknownKey(path, key):
            "\(path): unknown key \(key)"
        case let .wrongType(path, key, expected, found):
            "\(path): \(key): expected \(expected), found \(found)"
        case let .invalidValue(path, key, reason):
            "\(path): \(key): \(reason)"
        }
    }
}
