import Metrics

/// Counters for what the ingress decides, labelled by outcome.
struct IngressMetrics: Sendable {
    let accepted = Counter(label: "conduit_smtp_messages_accepted_total")
    let acceptedBytes = Counter(label: "conduit_smtp_message_bytes_total")
    let recipientsRejected = Counter(label: "conduit_smtp_recipients_rejected_total")
    let recipientsAccepted = Counter(label: "conduit_smtp_recipients_accepted_total")
    let spoolFailures = Counter(label: "conduit_spool_commit_failures_total")
    let dkimRejected = Counter(label: "conduit_smtp_dkim_rejected_total")
    /// Recipients refused at end of DATA by `dmarc_enforcement = "reject"`.
    let dmarcRejected = Counter(label: "conduit_smtp_dmarc_rejected_total")
    /// Recipients turned away because their account's spool quota is full (RCPT or after DATA).
    let quotaRejected = Counter(label: "conduit_smtp_quota_rejected_total")
    /// Recipients that waited for their webhook's backlog (`InflowControl`):
    /// until an attempt made room, or until `inflow_delay_ms` passed.
    let inflowReleased = Counter(label: "conduit_smtp_inflow_waits_total", dimensions: [("outcome", "released")])
    let inflowTimedOut = Counter(label: "conduit_smtp_inflow_waits_total", dimensions: [("outcome", "timed_out")])
}
