/// Why bytes are not a DNS message. Every read of `DNSMessage.decode` is
/// bounds-checked, so hostile input ends here, never in a crash or a hang.
public enum DNSDecodeError: Error, Equatable, Sendable {
    /// A read past the end of the packet (or of a record's RDATA).
    case truncated
    /// Section counts that the packet cannot possibly hold.
    case countsExceedPacket
    /// A compression pointer that does not point strictly backwards, or too many of them.
    case badPointer
    /// A label length byte with the reserved top bits `01` or `10` (a length of 64 or more).
    case badLabel
    /// A name over 255 bytes.
    case nameTooLong
    /// RDATA whose length or content does not fit its type.
    case badRecordData(type: UInt16)
    /// More than one OPT record, or one not owned by the root.
    case badOPT
}

/// Why a message cannot be written.
public enum DNSEncodeError: Error, Equatable, Sendable {
    /// A name that cannot be encoded (see `DNSResolver.lookup`).
    case invalidName(String)
    /// RDATA that does not fit its type (an A record with 16 bytes, a TXT string over 255 bytes, …).
    case badRecordData(type: UInt16)
    /// More than 65535 entries in a section or bytes in RDATA.
    case tooLarge
}
