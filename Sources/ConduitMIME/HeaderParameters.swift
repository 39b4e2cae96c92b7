/// A structured header value with parameters (Content-Type,
/// Content-Disposition; RFC 2045 §5.1, RFC 2183): the leading value and
/// the parameters, with RFC 2231 continuations (`name*0`, `name*1*`) and
/// `charset'language'` values joined and decoded, and RFC 2047 encoded
/// words inside values decoded (which the RFC forbids but mailers send).
struct HeaderParameters: Sendable, Equatable {
    /// The part before the first `;`, trimmed, lower case.
    var value: String
    /// Parameters by lower-case name; the first of duplicates wins.
    var parameters: [String: String]

    init(_ text: String) {
        self = ScannedTextReader.read(text, ascii: { Self(scanning: $0) }, other: { Self(scanning: $0) })
    }

    private init<Text: ScannedText>(scanning text: Text) {
        var scanner = ParameterScanner(text)
        value = scanner.leadingValue().lowercased()
        var plain: [String: String] = [:]
        // name -> section -> (extended, raw text)
        var sections: [String: [Int: (Bool, String)]] = [:]
        while let (rawName, rawValue) = scanner.nextParameter() {
            var name = rawName.lowercased()
            var extended = false
            if name.hasSuffix("*") {
                // RFC 2231 values are tokens, but mailers quote them too: still extended.
                extended = true
                name.removeLast()
            }
            if let star = name.firstIndex(of: "*"), let section = Int(name[name.index(after: star)...]) {
                let base = String(name[..<star])
                if sections[base, default: [:]][section] == nil {
                    sections[base, default: [:]][section] = (extended, rawValue)
                }
            } else if extended {
                if sections[name, default: [:]][0] == nil { sections[name, default: [:]][0] = (true, rawValue) }
            } else if plain[name] == nil {
                plain[name] = rawValue
            }
        }
        var parameters: [String: String] = [:]
        for (name, value) in plain {
            parameters[name] = EncodedWords.decode(value)
        }
        for (name, parts) in sections {
            // RFC 2231 wins over a plain parameter of the same name.
            parameters[name] = Self.joinSections(parts)
        }
        self.parameters = parameters
    }

    /// Joins `name*0`, `name*1`, … in order (stopping at a gap) and decodes
    /// the extended ones with the charset named in section 0.
    private static func joinSections(_ parts: [Int: (Bool, String)]) -> String {
        var charset: String?
        var bytes: [UInt8] = []
        var section = 0
        while let (extended, raw) = parts[section] {
            var text = Substring(raw)
            if extended {
                if section == 0 {
                    let pieces = raw.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
                    if pieces.count == 3 {
                        charset = pieces[0].isEmpty ? nil : String(pieces[0])
                        text = pieces[2]
                    }
                }
                bytes += percentDecode(text)
            } else {
                bytes += Array(text.utf8)
            }
            section += 1
        }
        return Charset.decode(bytes, charset: charset ?? "utf-8")
    }

    private static func percentDecode(_ text: Substring) -> [UInt8] {
        let input = Array(text.utf8)
        var out: [UInt8] = []
        var index = 0
        while index < input.count {
            if input[index] == UInt8(ascii: "%"), index + 2 < input.count,
               let high = TransferEncoding.hex(input[index + 1]), let low = TransferEncoding.hex(input[index + 2]) {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(input[index])
                index += 1
            }
        }
        return out
    }
}
