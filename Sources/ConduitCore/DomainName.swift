import CIDN2
import Glibc

/// Why a domain name was refused.
public struct DomainNameError: Error, Equatable, CustomStringConvertible {
    /// A sentence naming the problem, safe to show to the API client.
    public let reason: String
    /// libidn2's error name (`IDN2_DISALLOWED`, …) when libidn2 refused the name.
    public let idn2Name: String?

    init(reason: String, idn2Name: String? = nil) {
        self.reason = reason
        self.idn2Name = idn2Name
    }

    public var description: String { reason }
}

/// Domain name normalization: IDNA2008 (non-transitional, NFC input) through
/// libidn2 to the lowercase A-label form, then host-name rules checked here.
public enum DomainName {
    /// The normalized A-label form of `input`, or why it is not a valid
    /// mail domain. A single trailing dot is accepted and removed.
    public static func normalize(_ input: String) throws(DomainNameError) -> String {
        var name = input
        if name.hasSuffix(".") { name.removeLast() }
        guard !name.isEmpty else { throw DomainNameError(reason: "domain name is empty") }
        guard name.utf8.count <= 1024 else { throw DomainNameError(reason: "domain name is too long") }
        guard !name.utf8.contains(0) else { throw DomainNameError(reason: "domain name contains a NUL byte") }

        let ascii = try idnaToASCII(name).lowercased()
        try checkHostName(ascii)
        return ascii
    }

    /// libidn2's IDNA2008 lookup conversion alone (non-transitional, NFC
    /// input, no STD3 rules), without Conduit's host-name checks: the exact
    /// libidn2 behaviour the IdnaTestV2 conformance test compares against.
    public static func idnaToASCII(_ name: String) throws(DomainNameError) -> String {
        // IDN2_USE_STD3_ASCII_RULES is deliberately absent: libidn2 2.3.3 deletes
        // disallowed characters under it instead of failing. LDH is checked below.
        let flags = Int32(IDN2_NFC_INPUT.rawValue) | Int32(IDN2_NONTRANSITIONAL.rawValue)
        var output: UnsafeMutablePointer<CChar>?
        let rc = idn2_to_ascii_8z(name, &output, flags)
        defer { if let output { idn2_free(output) } }
        guard rc == Int32(IDN2_OK.rawValue), let output else {
            let message = idn2_strerror(rc).map { String(cString: $0) } ?? "code \(rc)"
            let errorName = idn2_strerror_name(rc).map { String(cString: $0) }
            throw DomainNameError(reason: "not a valid internationalized domain name: \(message)", idn2Name: errorName)
        }
        return String(cString: output)
    }

    private static func checkHostName(_ name: String) throws(DomainNameError) {
        guard name.utf8.count <= 253 else { throw DomainNameError(reason: "domain name is longer than 253 characters") }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { throw DomainNameError(reason: "domain name needs at least two labels") }
        for label in labels {
            guard !label.isEmpty else { throw DomainNameError(reason: "domain name has an empty label") }
            guard label.utf8.count <= 63 else { throw DomainNameError(reason: "label '\(label)' is longer than 63 characters") }
            for byte in label.utf8 {
                let ldh = (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                    || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                    || byte == UInt8(ascii: "-")
                guard ldh else { throw DomainNameError(reason: "label '\(label)' has characters other than letters, digits and hyphens") }
            }
            guard label.first != "-", label.last != "-" else {
                throw DomainNameError(reason: "label '\(label)' starts or ends with a hyphen")
            }
        }
        // A numeric last label means an IP literal (or nonsense), never a mail domain.
        if let top = labels.last, top.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            throw DomainNameError(reason: "an IP address is not a domain name")
        }
    }
}
