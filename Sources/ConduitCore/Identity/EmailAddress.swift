/// Account email addresses: `local@domain`, normalized for comparison.
public enum EmailAddress {
    /// The normalized address (trimmed, domain as A-labels, all lower case),
    /// or `nil` when it is not an address Conduit accepts for an account.
    public static func normalize(_ input: String) -> String? {
        let text = input.trimmingWhitespace()
        guard text.utf8.count <= 254 else { return nil }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let local = parts[0]
        guard !local.isEmpty, local.utf8.count <= 64,
              local.first != ".", local.last != ".", !local.contains(".."),
              local.utf8.allSatisfy(isAtext)
        else { return nil }
        guard let domain = try? DomainName.normalize(String(parts[1])) else { return nil }
        let address = "\(local.lowercased())@\(domain)"
        return address.utf8.count <= 254 ? address : nil
    }

    /// RFC 5322 atext plus `.` (dot-atom).
    private static func isAtext(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "!#$%&'*+-/=?^_`{|}~.".utf8.contains(byte)
        }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let first = s.first, first.isWhitespace { s.removeFirst() }
        while let last = s.last, last.isWhitespace { s.removeLast() }
        return String(s)
    }
}
