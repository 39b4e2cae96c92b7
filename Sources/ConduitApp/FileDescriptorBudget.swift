import Glibc

/// Keeps the API and SMTP listeners within the process's file descriptors,
/// so connections held open on one listener (a slowloris on the API) can
/// never leave the other, or the store, without a descriptor.
///
/// At start the soft `RLIMIT_NOFILE` is raised to the hard limit (Linux keeps
/// the soft one at 1024 by default), then the configured connection caps
/// plus `reserved` must fit under it, or the server refuses to start with a
/// config error naming `api.max_connections`.
public enum FileDescriptorBudget {
    /// Descriptors kept for everything that is not a client connection: the
    /// store, the listeners, DNS sockets, webhook connections (one per
    /// delivery in flight, at most 512, plus up to 128 idle ones), outbound
    /// mail and logs.
    public static let reserved = 1024

    /// Descriptors one SMTP connection may hold: its socket and, while a
    /// message's DATA spills past `smtp.data_memory_kb`, its spill file.
    public static let perSMTPConnection = 2

    /// Descriptors the configuration may use at most.
    public static func needed(by config: ConduitConfig) -> Int {
        config.api.maxConnections + perSMTPConnection * config.smtp.maxConnections + reserved
    }

    /// Fails when `config` needs more descriptors than `limit`.
    public static func check(_ config: ConduitConfig, limit: Int, path: String) throws(ConfigError) {
        let needed = needed(by: config)
        guard needed > limit else { return }
        throw ConfigError.invalidValue(
            path: path, key: "api.max_connections",
            reason: "api.max_connections (\(config.api.maxConnections)) + 2 × smtp.max_connections (\(config.smtp.maxConnections), "
                + "a socket and a spill file each) "
                + "+ \(reserved) reserved descriptors = \(needed) exceeds the open-file limit \(limit) (RLIMIT_NOFILE); "
                + "lower them or raise LimitNOFILE"
        )
    }

    /// Raises the soft open-file limit to the hard one and returns the
    /// resulting soft limit (`Int.max` when unlimited: `RLIM_INFINITY` is all ones).
    public static func raiseSoftLimit() -> Int {
        var limits = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limits) == 0 else { return 1024 }
        if limits.rlim_cur < limits.rlim_max {
            var raised = limits
            raised.rlim_cur = limits.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limits = raised }
        }
        return limits.rlim_cur > rlim_t(Int.max) ? Int.max : Int(limits.rlim_cur)
    }
}
