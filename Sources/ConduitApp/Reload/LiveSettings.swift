public import Logging
import Synchronization

/// The settings a reload can change in a running server. Readers take the
/// current value on every use, so `systemctl reload` needs no restart for
/// them; everything else in `ConduitConfig` is read once at start.
public final class LiveSettings: Sendable {
    private let state: Mutex<(logLevel: Logger.Level, logRetentionDays: Int)>

    public init(logLevel: Logger.Level, logRetentionDays: Int) {
        state = Mutex((logLevel, logRetentionDays))
    }

    public convenience init(config: ConduitConfig) {
        self.init(logLevel: config.log.level, logRetentionDays: config.delivery.logRetentionDays)
    }

    /// `[log] level`: every logger's threshold (see `ConsoleLogHandler`).
    public var logLevel: Logger.Level {
        get { state.withLock { $0.logLevel } }
        set { state.withLock { $0.logLevel = newValue } }
    }

    /// `[delivery] log_retention_days`: read by the expiry janitor each pass.
    public var logRetentionDays: Int {
        get { state.withLock { $0.logRetentionDays } }
        set { state.withLock { $0.logRetentionDays = newValue } }
    }
}
