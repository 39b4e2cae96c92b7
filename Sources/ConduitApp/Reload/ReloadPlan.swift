/// What a reload does with a freshly read configuration: which changed keys
/// take effect now and which wait for a restart. Pure, so the rule is tested
/// without signals.
public struct ReloadPlan: Sendable, Equatable {
    /// Keys applied to the running server by this reload.
    public var applied: [String]
    /// Changed keys the running server keeps its old value for.
    public var needsRestart: [String]
    /// What now runs: the old configuration with the applied keys taken over.
    /// Kept for the next reload, so keys still waiting for a restart are
    /// reported again instead of being forgotten.
    public var running: ConduitConfig

    /// Keys a running server really applies (see `ConfigReloader.apply`).
    /// Everything else is read once at start: listen addresses, storage, DNS,
    /// limits baked into the SMTP listener, delivery engine settings, TLS
    /// file *paths* (the files behind them are re-read on every reload).
    public static let liveKeys: Set<String> = ["log.level", "smtp.public_domains", "delivery.log_retention_days"]

    public static func make(running: ConduitConfig, loaded: ConduitConfig) -> ReloadPlan {
        let changed = ConfigKeys.changed(from: running, to: loaded)
        var next = running
        if changed.contains("log.level") { next.log.level = loaded.log.level }
        if changed.contains("smtp.public_domains") { next.smtp.publicDomains = loaded.smtp.publicDomains }
        if changed.contains("delivery.log_retention_days") { next.delivery.logRetentionDays = loaded.delivery.logRetentionDays }
        return ReloadPlan(
            applied: changed.filter { liveKeys.contains($0) },
            needsRestart: changed.filter { !liveKeys.contains($0) },
            running: next
        )
    }
}
