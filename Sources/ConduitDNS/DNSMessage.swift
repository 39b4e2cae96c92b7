/// A DNS message (RFC 1035 §4.1) with its EDNS0 OPT pseudo-record (RFC 6891)
/// taken out of the additional section. `encode()` and `decode(_:)` are pure
/// functions over bytes, so the wire format is tested without I/O.
public struct DNSMessage: Sendable, Equatable {
    public var id: UInt16
    /// QR: a reply rather than a query.
    public var isResponse: Bool
    public var opcode: UInt8
    /// AA
    public var isAuthoritative: Bool
    /// TC: the reply did not fit; ask again over TCP.
    public var isTruncated: Bool
    /// RD
    public var recursionDesired: Bool
    /// RA
    public var recursionAvailable: Bool
    /// The full response code: the header's 4 bits, plus the OPT record's
    /// upper 8 bits when EDNS is present.
    public var rcode: UInt16
    public var questions: [DNSQuestion]
    public var answers: [DNSRecord]
    public var authority: [DNSRecord]
    /// Additional records, without the OPT pseudo-record (see `edns`).
    public var additional: [DNSRecord]
    public var edns: EDNS?

    public init(
        id: UInt16, isResponse: Bool = false, opcode: UInt8 = 0, isAuthoritative: Bool = false, isTruncated: Bool = false,
        recursionDesired: Bool = true, recursionAvailable: Bool = false, rcode: UInt16 = 0,
        questions: [DNSQuestion] = [], answers: [DNSRecord] = [], authority: [DNSRecord] = [], additional: [DNSRecord] = [],
        edns: EDNS? = nil
    ) {
        self.id = id
        self.isResponse = isResponse
        self.opcode = opcode
        self.isAuthoritative = isAuthoritative
        self.isTruncated = isTruncated
        self.recursionDesired = recursionDesired
        self.recursionAvailable = recursionAvailable
        self.rcode = rcode
        self.questions = questions
        self.answers = answers
        self.authority = authority
        self.additional = additional
        self.edns = edns
    }

    /// A recursive query for `name`/`type` (class IN) advertising a 1232-byte
    /// EDNS0 UDP payload, the size DNS Flag Day 2020 settled on to avoid IP fragmentation.
    public static func query(id: UInt16, name: String, type: UInt16) -> DNSMessage {
        DNSMessage(id: id, questions: [DNSQuestion(name: name, type: type)], edns: EDNS(udpPayloadSize: 1232))
    }

    public static let noError: UInt16 = 0
    public static let formatError: UInt16 = 1
    public static let serverFailure: UInt16 = 2
    public static let nameError: UInt16 = 3
    public static let refused: UInt16 = 5
}
