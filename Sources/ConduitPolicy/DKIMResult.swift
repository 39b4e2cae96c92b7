/// A DKIM signature verification result (RFC 8601 §2.7.1 names).
public enum DKIMResult: String, Sendable, Equatable, CaseIterable {
    case pass, fail, neutral, policy, none, temperror, permerror
}
