/// A Chain Validation Status (RFC 8617 §4.4, §5.2): what `arc=` reports in
/// Authentication-Results and what the next sealer writes as `cv=`.
public enum ARCResult: String, Sendable, Equatable, CaseIterable {
    /// No ARC header field at all.
    case none
    case pass
    /// Anything else: a broken structure, a seal or the newest message
    /// signature that does not verify, a key that cannot be had.
    case fail
}

/// The outcome of validating a message's Authenticated Received Chain
/// (RFC 8617 §5.2). A pure statement about the message and the DNS
/// answers; trusting a sealer is policy, decided by whoever reads it.
public struct ARCVerdict: Sendable, Equatable {
    public let result: ARCResult
    /// N, the highest instance number: how many ARC sets the chain has.
    /// 0 for `none`, and for a `fail` found before any instance could be
    /// read.
    public let instances: Int
    /// `oldest-pass` (§5.2 steps 5–7) on `pass`: the lowest instance whose
    /// ARC-Message-Signature still validates with every newer one, 0 when
    /// all of them do (the message is as the first sealer saw it). `nil`
    /// unless `pass`.
    public let oldestPass: Int?
    /// The sealers' domains (each ARC-Seal's `d=`), instance 1 first, on
    /// `pass`: what a "trusted sealer" policy and DMARC reports name.
    /// Empty otherwise.
    public let sealers: [String]
    /// Why the result is not `pass`, for logs; `nil` on `pass` and `none`.
    public let reason: String?
    /// The `fail` came from a key lookup that failed for now (timeout,
    /// SERVFAIL), not from the message. RFC 8617 has no `temperror`, so the
    /// result is `fail`; a caller that would act on a failing chain can
    /// tell a DNS outage from a broken chain by this (docs/ARC.md).
    public let isTemporary: Bool

    public init(
        result: ARCResult, instances: Int, oldestPass: Int? = nil, sealers: [String] = [],
        reason: String? = nil, isTemporary: Bool = false
    ) {
        self.result = result
        self.instances = instances
        self.oldestPass = oldestPass
        self.sealers = sealers
        self.reason = reason
        self.isTemporary = isTemporary
    }

    /// No ARC header field.
    public static let none = ARCVerdict(result: .none, instances: 0)

    static func fail(_ reason: String, instances: Int, temporary: Bool = false) -> ARCVerdict {
        ARCVerdict(result: .fail, instances: instances, reason: reason, isTemporary: temporary)
    }
}
