public import ConduitCore

/// The decoded RDATA of a resource record. Names (`mx`, `ptr`, `cname`) are
/// in the text form described at `DNSRecord.name`.
public enum DNSRecordData: Sendable, Equatable {
    /// An IPv4 address (4 bytes).
    case a(IPAddress)
    /// An IPv6 address (16 bytes).
    case aaaa(IPAddress)
    /// The record's character-strings, raw bytes, in order (TXT and SPF).
    case txt([[UInt8]])
    case mx(preference: UInt16, exchange: String)
    case ptr(String)
    case cname(String)
    /// Any other type, RDATA as received. For NS and SOA, whose RDATA holds
    /// names that may be compressed, the names are expanded to uncompressed
    /// wire form so the bytes stand on their own.
    case other(type: UInt16, data: [UInt8])
}

extension DNSRecordData {
    /// TXT strings of one record concatenated with no separator
    /// (RFC 7208 §3.3, RFC 6376 §3.6.2.2), decoded as UTF-8 with
    /// replacement characters; `nil` for non-TXT data.
    public var txtText: String? {
        guard case let .txt(strings) = self else { return nil }
        return String(decoding: strings.joined(), as: UTF8.self)
    }
}
