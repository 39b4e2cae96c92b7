/// The configuration as flat `section.key` names with printable values,
/// derived from `ConduitConfig` itself by reflection. A new property is
/// therefore automatically part of reload diffs, and the README reference
/// test fails until it is documented: the key list cannot drift.
public enum ConfigKeys {
    /// Every key with its value, in declaration order: `("smtp.listen", "0.0.0.0:25")`.
    public static func values(of config: ConduitConfig) -> [(key: String, value: String)] {
        var out: [(key: String, value: String)] = []
        for section in Mirror(reflecting: config).children {
            guard let sectionName = section.label else { continue }
            for field in Mirror(reflecting: section.value).children {
                guard let fieldName = field.label else { continue }
                out.append(("\(snakeCase(sectionName)).\(snakeCase(fieldName))", describe(field.value)))
            }
        }
        return out
    }

    /// Every key name (`storage.path`, …), in declaration order.
    public static func all() -> [String] { values(of: ConduitConfig()).map(\.key) }

    /// Keys whose values differ between the two configurations.
    public static func changed(from old: ConduitConfig, to new: ConduitConfig) -> [String] {
        zip(values(of: old), values(of: new)).filter { $0.value != $1.value }.map(\.0.key)
    }

    /// Swift property name → TOML key: `mapSizeMB` → `map_size_mb`,
    /// `maxConnectionsPerIP` → `max_connections_per_ip`, `publicURL` → `public_url`.
    static func snakeCase(_ name: String) -> String {
        let chars = Array(name)
        var out = ""
        for (i, c) in chars.enumerated() {
            if c.isUppercase, i > 0 {
                let previousLower = chars[i - 1].isLowercase || chars[i - 1].isNumber
                let nextLower = i + 1 < chars.count && chars[i + 1].isLowercase
                if previousLower || (chars[i - 1].isUppercase && nextLower) { out.append("_") }
            }
            out.append(Character(c.lowercased()))
        }
        return out
    }

    private static func describe(_ value: Any) -> String {
        // Unwrap optionals so nil and a value compare sensibly.
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let wrapped = mirror.children.first?.value else { return "" }
            return describe(wrapped)
        }
        return String(describing: value)
    }
}
