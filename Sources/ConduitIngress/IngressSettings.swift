/// What the ingress needs beyond its collaborators.
public struct IngressSettings: Sendable {
    /// This host's name, for SPF explanations (`%{r}`).
    public var hostname: String
    /// The most one account may have charged in the spool (`SpoolUsage`:
    /// bodies of pending, retrying, failed and dead mail plus a fixed record
    /// overhead each); `nil` for no limit. `[storage] account_quota_mb`.
    /// Checked here at RCPT and after DATA; the spool (`MessageSpool`) checks it again.
    public var accountQuotaBytes: Int?
    /// Free bytes the disk and the LMDB map must keep for delivery, outcomes
    /// and cleanup; below it new mail gets `452 4.3.1` (`HeadroomRule`).
    /// `[storage] reserve_mb`; 0: no reserve.
    public var storageReserveBytes: Int

    public init(hostname: String, accountQuotaBytes: Int? = nil, storageReserveBytes: Int = 0) {
        self.hostname = hostname
        self.accountQuotaBytes = accountQuotaBytes
        self.storageReserveBytes = storageReserveBytes
    }
}
