/// One resource record from a reply.
///
/// Names are in presentation form without the trailing dot (`mail.example.com`),
/// the root is `.`, and any label byte that is not printable ASCII, or is a
/// `.` or `\` inside a label, is written `\DDD` (decimal) or `\.`/`\\`, as in
/// master files (RFC 1035 §5.1). Case is kept as received.
public struct DNSRecord: Sendable, Equatable {
    /// The owner name.
    public let name: String
    /// The RR type number (`DNSRecordType.rawValue` for known types).
    public let type: UInt16
    /// Seconds the record may be cached.
    public let ttl: UInt32
    public let data: DNSRecordData
    /// The RR class; 1 (IN) for every record Conduit uses.
    public let recordClass: UInt16

    public init(name: String, type: UInt16, ttl: UInt32, data: DNSRecordData, recordClass: UInt16 = 1) {
        self.name = name
        self.type = type
        self.ttl = ttl
        self.data = data
        self.recordClass = recordClass
    }

    /// The same record with another TTL (used for answers served from the cache).
    func with(ttl: UInt32) -> DNSRecord {
        DNSRecord(name: name, type: type, ttl: ttl, data: data, recordClass: recordClass)
    }
}
