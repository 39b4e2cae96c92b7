/// One ARC header field (RFC 8617 §4.1) with the instance it names.
struct ARCHeaderField {
    /// The three fields of an ARC set, by header name.
    enum Kind: String, CaseIterable {
        case authenticationResults = "arc-authentication-results"
        case messageSignature = "arc-message-signature"
        case seal = "arc-seal"

        /// The name as RFC 8617 writes it, for reasons in logs.
        var displayName: String {
            switch self {
            case .authenticationResults: "ARC-Authentication-Results"
            case .messageSignature: "ARC-Message-Signature"
            case .seal: "ARC-Seal"
            }
        }
    }

    /// Why a field's instance cannot be read: the chain fails (§5.2 step 3
    /// cannot place it in a set).
    struct Unreadable: Error, Equatable {
        let reason: String
    }

    let kind: Kind
    let field: DKIMMessage.Field
    /// `i=`, 1 to 99.
    let instance: Int
    /// The tags of an ARC-Message-Signature or ARC-Seal; `nil` for
    /// ARC-Authentication-Results, whose value is not a tag list.
    let tags: DKIMTagList?

    /// `field` read as an ARC field; `nil` when it is not one.
    init?(_ field: DKIMMessage.Field) throws(Unreadable) {
        guard let kind = Kind(rawValue: field.name) else { return nil }
        self.kind = kind
        self.field = field
        let text: String
        if kind == .authenticationResults {
            tags = nil
            text = try Self.leadingInstance(field.value, kind: kind)
        } else {
            do {
                tags = try DKIMTagList(parsing: field.value)
            } catch {
                throw Unreadable(reason: "\(kind.displayName) is not a tag list: \(error.reason)")
            }
            guard let value = tags?["i"] else { throw Unreadable(reason: "\(kind.displayName) has no i=") }
            text = value
        }
        instance = try Self.instance(text, kind: kind)
    }

    /// §4.2.1: `instance = [CFWS] "i" [CFWS] "=" [CFWS] 1*2DIGIT`, not 0.
    /// Leading zeros are read as the number they spell. The limit of 50 is
    /// the chain's to check (§5.2 step 1), so it can say how many there are.
    static func instance(_ text: String, kind: Kind) throws(Unreadable) -> Int {
        guard (1...2).contains(text.utf8.count), text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let number = Int(text), number >= 1 else {
            throw Unreadable(reason: "\(kind.displayName) has i=\(text), not an instance number")
        }
        return number
    }

    /// The digits of the `i=` that starts an ARC-Authentication-Results
    /// value (§4.1.1: `i=N; authserv-id; results`). Comments (CFWS) are
    /// not read there: no sealer writes one.
    private static func leadingInstance(_ value: ArraySlice<UInt8>, kind: Kind) throws(Unreadable) -> String {
        var rest = DKIMASCII.trimmingFWS(value)[...]
        guard rest.first == UInt8(ascii: "i") else { throw Unreadable(reason: "\(kind.displayName) does not start with i=") }
        rest = DKIMASCII.trimmingFWS(rest.dropFirst())
        guard rest.first == DKIMASCII.equals else { throw Unreadable(reason: "\(kind.displayName) does not start with i=") }
        rest = DKIMASCII.trimmingFWS(rest.dropFirst())
        let digits = rest.prefix { $0 >= 0x30 && $0 <= 0x39 }
        let after = DKIMASCII.trimmingFWS(rest[digits.endIndex...])
        guard after.first == DKIMASCII.semicolon else {
            throw Unreadable(reason: "\(kind.displayName) has no ';' after i=")
        }
        return String(decoding: digits, as: UTF8.self)
    }
}
