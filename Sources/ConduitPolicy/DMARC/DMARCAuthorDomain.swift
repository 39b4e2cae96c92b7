import ConduitCore

/// The Author Domain (RFC 9989 §3.2.2): the domain of the one address in
/// the message's one `From:` header field (RFC 5322 §3.6.2).
///
/// ConduitPolicy does not import ConduitMIME (docs/ARCHITECTURE.md), so this
/// is a small address-list reader of its own: it needs only the domain of
/// each mailbox. Comments, quoted strings, display names, angle addresses
/// and groups are understood; encoded words need no decoding to find a
/// domain. Anything that does not give exactly one usable domain is a
/// `permerror` for DMARC (docs/DMARC.md).
enum DMARCAuthorDomain {
    /// Why a message has no single author domain.
    enum Failure: Error, Equatable {
        case noFromField
        case severalFromFields(Int)
        case noAddress
        case severalAddresses(Int)
        case unusableDomain(String)

        var reason: String {
            switch self {
            case .noFromField: "no From: header field"
            case let .severalFromFields(count): "\(count) From: header fields"
            case .noAddress: "no address in From:"
            case let .severalAddresses(count): "\(count) addresses in From:"
            case let .unusableDomain(domain): "From: domain '\(domain)' is not a DNS domain name"
            }
        }
    }

    /// The author domain of a header block (every field, raw).
    static func of(headerBlock: [UInt8]) -> Result<String, Failure> {
        let values = DKIMMessage(headerBlock).fields.filter { $0.name == "from" }.map {
            String(decoding: $0.value, as: UTF8.self)
        }
        return of(fromFieldValues: values)
    }

    /// The author domain from the values of the `From:` fields (the text
    /// after the colon, folded or not), in lower case, without a final dot,
    /// internationalized names as A-labels.
    static func of(fromFieldValues values: [String]) -> Result<String, Failure> {
        guard values.count <= 1 else { return .failure(.severalFromFields(values.count)) }
        guard let value = values.first else { return .failure(.noFromField) }
        let addresses = addressSpecs(in: value)
        guard addresses.count <= 1 else { return .failure(.severalAddresses(addresses.count)) }
        guard let address = addresses.first, let at = address.lastIndex(of: "@") else { return .failure(.noAddress) }
        return domainName(String(address[address.index(after: at)...]))
    }

    /// The domain in the form the tree walk queries, or why it cannot be one.
    static func domainName(_ text: String) -> Result<String, Failure> {
        var domain = text.lowercased()
        if domain.hasSuffix(".") { domain.removeLast() }
        if !domain.allSatisfy(\.isASCII) {
            guard let ascii = try? DomainName.idnaToASCII(domain) else { return .failure(.unusableDomain(text)) }
            domain = ascii.lowercased()
        }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        let usable = !domain.isEmpty && domain.utf8.count <= 253 && labels.allSatisfy { label in
            (1...63).contains(label.count)
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        }
        return usable ? .success(domain) : .failure(.unusableDomain(text))
    }

    /// The addr-spec of every mailbox in an address list, comments and
    /// folding removed; group names and empty groups give none.
    static func addressSpecs(in value: String) -> [String] {
        var specs: [String] = []
        var current = ""  // the mailbox being read, comments left out
        var angle: String?  // the text inside <…>, once one opened
        var inAngle = false
        var inQuote = false
        var commentDepth = 0
        var escaped = false
        func finish() {
            let spec = (angle ?? current).filter { !$0.isWhitespace }
            if !spec.isEmpty { specs.append(spec) }
            current = ""
            angle = nil
        }
        func keep(_ character: Character) {
            if inAngle {
                angle!.append(character)
            } else if angle == nil {
                current.append(character)
            }  // after <…>, only comments and spaces belong to the mailbox
        }
        for character in value {
            if escaped {
                escaped = false
                if commentDepth == 0 { keep(character) }
            } else if commentDepth > 0 {
                if character == "\\" { escaped = true }
                if character == "(" { commentDepth += 1 } else if character == ")" { commentDepth -= 1 }
            } else if inQuote {
                if character == "\\" { escaped = true }
                if character == "\"" { inQuote = false }
                keep(character)
            } else if inAngle {
                if character == ">" { inAngle = false } else if character == "\"" { inQuote = true; keep(character) } else { keep(character) }
            } else {
                switch character {
                case "\"": inQuote = true; keep(character)
                case "(": commentDepth = 1
                case "<": angle = ""; inAngle = true
                case ",", ";": finish()
                case ":": current = ""  // a group's display name
                default: keep(character)
                }
            }
        }
        finish()
        return specs
    }
}
