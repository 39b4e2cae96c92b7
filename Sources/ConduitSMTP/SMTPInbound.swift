/// What the line decoder hands to a session.
public enum SMTPInbound: Equatable, Sendable {
    /// One line without its CRLF.
    case line([UInt8])
    /// A line longer than the limit; its bytes up to the next CRLF were discarded.
    case lineTooLong
}
