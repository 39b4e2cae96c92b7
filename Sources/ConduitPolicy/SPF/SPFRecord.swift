import ConduitCore

/// A parsed `v=spf1` record (RFC 7208 §4.6): its directives in order and
/// the two modifiers that mean something. Unknown modifiers are checked and dropped.
struct SPFRecord: Equatable, Sendable {
    /// A qualifier (§4.6.2): the result a matching mechanism gives.
    enum Qualifier: UInt8, Sendable {
        case pass = 0x2B  // +
        case fail = 0x2D  // -
        case softfail = 0x7E  // ~
        case neutral = 0x3F  // ?

        var result: SPFResult {
            switch self {
            case .pass: .pass
            case .fail: .fail
            case .softfail: .softfail
            case .neutral: .neutral
            }
        }
    }

    /// The prefix lengths of `a` and `mx` (§5.6 dual-cidr-length).
    struct DualCIDR: Equatable, Sendable {
        var ipv4 = 32
        var ipv6 = 128
    }

    /// The mechanisms of §5; domain-specs stay unexpanded until evaluation.
    enum Mechanism: Equatable, Sendable {
        case all
        case include(SPFMacroString)
        case a(SPFMacroString?, DualCIDR)
        case mx(SPFMacroString?, DualCIDR)
        case ptr(SPFMacroString?)
        case ip4(IPAddress, prefixLength: Int)
        case ip6(IPAddress, prefixLength: Int)
        case exists(SPFMacroString)

        /// Whether evaluating it queries the DNS, and so counts against the limit of 10 (§4.6.4).
        var queriesDNS: Bool {
            switch self {
            case .all, .ip4, .ip6: false
            case .include, .a, .mx, .ptr, .exists: true
            }
        }
    }

    struct Directive: Equatable, Sendable {
        let qualifier: Qualifier
        let mechanism: Mechanism
    }

    var directives: [Directive] = []
    /// `redirect=` (§6.1).
    var redirect: SPFMacroString?
    /// `exp=` (§6.2).
    var explanation: SPFMacroString?
}
