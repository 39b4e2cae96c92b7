/// An SPF check result (RFC 7208 §2.6), named as the RFC names them.
public enum SPFResult: String, Sendable, Equatable, CaseIterable {
    case pass, fail, softfail, neutral, none, temperror, permerror
}
