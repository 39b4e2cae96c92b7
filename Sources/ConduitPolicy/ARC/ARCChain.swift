/// The `cv=` of an ARC-Seal: the chain status its sealer found (§4.1.3).
enum ARCChainValidation: String {
    case none, pass, fail
}

/// One ARC set (§4.1): the three fields of one instance.
struct ARCSet {
    let instance: Int
    let authenticationResults: ARCHeaderField
    let messageSignature: ARCHeaderField
    /// Its `cv=` is `none` for instance 1, `pass` for the others.
    let seal: ARCHeaderField

    /// The fields in the order the seals hash them (§5.1.1).
    var sealedFields: [ARCHeaderField] { [authenticationResults, messageSignature, seal] }
}

/// The ARC sets of a message once their structure holds (RFC 8617 §5.2
/// steps 1–3): instances 1…N with no gap, exactly one field of each kind
/// per instance, `cv=none` on instance 1 and `cv=pass` on the others. No
/// DNS and no cryptography: these checks come first and are cheap.
struct ARCChain {
    /// Instance 1 first.
    let sets: [ARCSet]

    /// Why the chain fails before any signature is checked.
    struct Broken: Error, Equatable {
        let reason: String
        /// The highest instance number read, 0 when none could be.
        let instances: Int
    }

    /// N.
    var count: Int { sets.count }

    /// The chain of `message`; `nil` when it has no ARC field (`none`).
    init?(_ message: DKIMMessage) throws(Broken) {
        var fields: [ARCHeaderField] = []
        var unreadable: String?
        for field in message.fields {
            do {
                if let arc = try ARCHeaderField(field) { fields.append(arc) }
            } catch {
                unreadable = unreadable ?? error.reason
            }
        }
        if fields.isEmpty, unreadable == nil { return nil }
        let highest = fields.map(\.instance).max() ?? 0
        if let unreadable { throw Broken(reason: unreadable, instances: highest) }
        // Step 1: at most 50 sets.
        guard highest <= ARCVerifier.maxInstances else {
            throw Broken(reason: "i=\(highest) is above the limit of \(ARCVerifier.maxInstances) ARC sets", instances: highest)
        }
        // Step 2: the newest sealer found the chain broken; nothing older matters.
        let newestSeals = fields.filter { $0.kind == .seal && $0.instance == highest }
        if newestSeals.contains(where: { Self.chainValidation($0) == .fail }) {
            throw Broken(reason: "ARC-Seal i=\(highest) has cv=fail", instances: highest)
        }
        sets = try Self.sets(fields, highest: highest)
    }

    /// Step 3: one field of each kind for every instance 1…N, and the `cv=` rules.
    private static func sets(_ fields: [ARCHeaderField], highest: Int) throws(Broken) -> [ARCSet] {
        var byInstance: [Int: [ARCHeaderField.Kind: ARCHeaderField]] = [:]
        for field in fields {
            if byInstance[field.instance]?[field.kind] != nil {
                throw Broken(reason: "two \(field.kind.displayName) fields with i=\(field.instance)", instances: highest)
            }
            byInstance[field.instance, default: [:]][field.kind] = field
        }
        var sets: [ARCSet] = []
        for instance in 1...highest {
            let kinds = byInstance[instance] ?? [:]
            guard let results = kinds[.authenticationResults], let signature = kinds[.messageSignature],
                  let seal = kinds[.seal] else {
                let missing = ARCHeaderField.Kind.allCases.filter { kinds[$0] == nil }.map(\.displayName)
                throw Broken(reason: "ARC set i=\(instance) has no \(missing.joined(separator: ", "))", instances: highest)
            }
            let expected: ARCChainValidation = instance == 1 ? .none : .pass
            guard Self.chainValidation(seal) == expected else {
                let found = seal.tags?["cv"] ?? "(missing)"
                throw Broken(reason: "ARC-Seal i=\(instance) has cv=\(found), not \(expected.rawValue)", instances: highest)
            }
            sets.append(ARCSet(
                instance: instance, authenticationResults: results, messageSignature: signature, seal: seal
            ))
        }
        return sets
    }

    /// A seal's `cv=`, `nil` when missing or not one of the three values.
    private static func chainValidation(_ seal: ARCHeaderField) -> ARCChainValidation? {
        seal.tags?["cv"].flatMap { ARCChainValidation(rawValue: $0.lowercased()) }
    }
}
