/// How often to ping systemd's watchdog: half of `$WATCHDOG_USEC`, as
/// sd_watchdog_enabled(3) recommends, so one late ping is not yet fatal.
public enum WatchdogInterval {
    /// `nil` when no watchdog is armed for this process: `WATCHDOG_USEC`
    /// unset, not a positive integer, or `WATCHDOG_PID` naming another process
    /// (systemd sets it so a child that inherits the environment stays quiet).
    public static func from(usec: String?, pid: String?, ownPID: Int32) -> Duration? {
        guard let usec, let micros = UInt64(usec), micros > 0 else { return nil }
        if let pid, Int32(pid) != ownPID { return nil }
        return .microseconds(Int64(clamping: micros / 2))
    }
}
