/// One mailbox from an address header: the display name (RFC 2047 decoded,
/// unquoted; `nil` when there is none) and the addr-spec.
public struct MailAddress: Codable, Sendable, Equatable {
    /// The display name, or `nil` when the mailbox has none.
    public var name: String?
    /// The addr-spec (`local@domain`), as written.
    public var address: String

    /// A mailbox; an empty `name` is stored as `nil`.
    public init(name: String?, address: String) {
        self.name = (name?.isEmpty ?? true) ? nil : name
        self.address = address
    }
}
