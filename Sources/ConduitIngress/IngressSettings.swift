public import Foundation

/// What the ingress needs beyond its collaborators.
public struct IngressSettings: Sendable {
    /// This host's name, for SPF explanations (`%{r}`).
    public var hostname: String
    /// How long a spooled delivery waits before its first attempt.
    public var firstAttemptDelay: TimeInterval
    /// The most one account may have charged in the spool (`SpoolUsage`:
    /// bodies of pending, retrying, failed and dead mail plus a fixed record
    /// overhead each); `nil` for no limit. `[storage] account_quota_mb`.
    public var accountQuotaBytes: Int?
    /// Free bytes the disk and the LMDB map must keep for delivery, outcomes
    /// and cleanup; below it new mail gets `452 4.3.1` (`HeadroomRule`).
    /// `[storage] reserve_mb`; 0: no reserve.
    public var storageReserveBytes: Int

    public init(hostname: String, firstAttemptDelay: TimeInterval = 0, accountQuotaBytes: Int? = nil, storageReserveBytes: Int = 0) {
        self.hostname = hostname
        self.firstAttemptDelay = firstAttemptDelay
        self.accountQuotaBytes = accountQuotaBytes
        self.storageReserveBytes = storageReserveBytes
    }
}
