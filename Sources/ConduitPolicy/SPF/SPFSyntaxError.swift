/// Why an SPF record (or a macro string in it) does not follow the grammar of
/// RFC 7208 §4.6.1, §5, §6 and §7.1. Any of these makes the check `permerror`.
struct SPFSyntaxError: Error, Equatable, CustomStringConvertible {
    let reason: String

    init(_ reason: String) {
        self.reason = reason
    }

    var description: String { reason }
}
