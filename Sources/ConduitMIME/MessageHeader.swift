/// One header field of the top-level message: its name as written and its
/// value unfolded and RFC 2047 decoded.
public struct MessageHeader: Sendable, Equatable {
    /// The field name, as written.
    public var name: String
    /// The value: unfolded, leading whitespace removed, encoded words decoded.
    public var value: String

    /// A header field.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
