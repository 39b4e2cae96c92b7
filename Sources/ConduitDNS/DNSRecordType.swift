/// The record types Conduit asks for or meets in replies (RFC 1035 §3.2.2,
/// RFC 3596, RFC 6891, RFC 7208). Replies may carry other types too: those
/// are kept as `DNSRecordData.other`, with the number in `DNSRecord.type`.
public enum DNSRecordType: UInt16, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case a = 1
    case ns = 2
    case cname = 5
    case soa = 6
    case ptr = 12
    case mx = 15
    case txt = 16
    case aaaa = 28
    case opt = 41
    case spf = 99

    /// The mnemonic (`TXT`, `AAAA`).
    public var description: String {
        switch self {
        case .a: "A"
        case .ns: "NS"
        case .cname: "CNAME"
        case .soa: "SOA"
        case .ptr: "PTR"
        case .mx: "MX"
        case .txt: "TXT"
        case .aaaa: "AAAA"
        case .opt: "OPT"
        case .spf: "SPF"
        }
    }
}
