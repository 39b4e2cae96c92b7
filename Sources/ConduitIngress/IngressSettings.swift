/// What the ingress needs beyond its collaborators.
public struct IngressSettings: Sendable {
    /// This host's name, for SPF explanations (`%{r}`) and the authserv-id
    /// of the payload's `auth.results`.
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
    /// `[smtp] dmarc`: evaluate DMARC and ARC for every message (their DNS
    /// lookups at end of DATA); false leaves `auth.dmarc`/`auth.arc` null
    /// and `dmarc_enforcement` with nothing to act on.
    public var evaluateDMARC: Bool

    public init(hostname: String, accountQuotaBytes: Int? = nil, storageReserveBytes: Int = 0, evaluateDMARC: Bool = true) {
        self.hostname = hostname
        self.evaluateDMARC = evaluateDMARC
        self.accountQuotaBytes = accountQuotaBytes
        self.storageReserveBytes = storageReserveBytes
    }
}
