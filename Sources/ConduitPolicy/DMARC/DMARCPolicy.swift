/// A Domain Owner Assessment Policy (RFC 9989 §4.7, the values of `p`, `sp`
/// and `np`), in order of strictness.
public enum DMARCPolicy: String, Sendable, Equatable, CaseIterable, Comparable {
    case none, quarantine, reject

    /// One level less strict, as `t=y` asks (RFC 9989 §4.7, `t`): reject
    /// becomes quarantine, quarantine becomes none, none stays none.
    public var oneLevelLessStrict: DMARCPolicy {
        switch self {
        case .reject: .quarantine
        case .quarantine, .none: .none
        }
    }

    public static func < (lhs: DMARCPolicy, rhs: DMARCPolicy) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// `adkim` and `aspf` (RFC 9989 §4.4): relaxed compares Organizational
/// Domains, strict the names themselves.
public enum DMARCAlignmentMode: String, Sendable, Equatable {
    case relaxed = "r"
    case strict = "s"
}

/// `psd` (RFC 9989 §4.7): whether the domain of the record is a Public
/// Suffix Domain (`y`), an Organizational Domain (`n`), or unsaid (`u`).
public enum DMARCPublicSuffixFlag: String, Sendable, Equatable {
    case yes = "y"
    case no = "n"
    case unknown = "u"
}

/// A DMARC result, named as RFC 8601 §2.7.1 and RFC 9989 §4.9 name them.
public enum DMARCResult: String, Sendable, Equatable, CaseIterable {
    /// An aligned identifier passed.
    case pass
    /// A policy record applies and no aligned identifier passed.
    case fail
    /// No usable policy record (or no DMARC processing, RFC 9989 §4.7 `p`).
    case none
    /// A DNS lookup the result depends on failed for now; try again later.
    case temperror
    /// The message has no single author domain to check (no `From:`, more
    /// than one field or address, or no usable domain in it).
    case permerror
}
