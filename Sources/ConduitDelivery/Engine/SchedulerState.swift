/// The engine's in-memory view (under its mutex): POSTs in flight per
/// webhook and in all, each rate-limited webhook's token bucket, and the
/// claim sweep's cursor. Lost on
/// restart by design: the store's leases say what was in flight.
struct SchedulerState {
    var inFlight: [String: Int] = [:]
    var total = 0
    var buckets: [String: TokenBucket] = [:]
    var stopping = false
    /// The leases of a dead process are due again (`recoverLeases` ran):
    /// only then may the intake lease new mail itself, or the recovery
    /// would take a lease whose attempt runs for one of a dead process.
    var leasesRecovered = false
    /// The webhook after which the next claim pass goes on (`nil`: the first).
    var webhookCursor: String?
    /// The last claim pass stopped at the global in-flight limit: mail may
    /// wait for a global slot, and new mail must not be leased ahead of it
    /// at spool time (the pass hands the slots out in turn).
    var globalBacklog = false
    /// Mail may be due that only a claim pass starts: set by the intake
    /// when it left new mail pending and by a pass that left some due; a
    /// finished attempt wakes the scheduling loop only then (or when its
    /// outcome scheduled a retry). New mail the intake leased itself needs
    /// no pass at all.
    var claimWanted = true

    mutating func finished(webhookID: String) {
        total -= 1
        let left = (inFlight[webhookID] ?? 1) - 1
        inFlight[webhookID] = left > 0 ? left : nil
    }
}
