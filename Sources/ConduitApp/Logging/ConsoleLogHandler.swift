import FoundationEssentials
import Glibc
public import Logging

/// One line per event on stderr, shaped for journald when systemd captures
/// stderr (`JOURNAL_STREAM` is set): a `<N>` syslog priority prefix that
/// journald turns into the entry's priority, and no timestamp (journald adds
/// its own). On a terminal each line starts with an RFC 3339 UTC timestamp.
/// Metadata follows as `key=value`, quoted when it contains spaces, and
/// newlines are escaped so one event is always one journal entry.
public struct ConsoleLogHandler: LogHandler {
    /// The threshold: a level set on this handler, else the live `[log] level`
    /// (changed by `systemctl reload`), else the level given at creation.
    public var logLevel: Logger.Level {
        get { ownLevel ?? live?.logLevel ?? initialLevel }
        set { ownLevel = newValue }
    }
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let journal: Bool
    private let initialLevel: Logger.Level
    private let live: LiveSettings?
    private var ownLevel: Logger.Level?

    /// - Parameter journal: force the journald format on or off; by default
    ///   it is on when `JOURNAL_STREAM` is set.
    public init(label: String, level: Logger.Level, journal: Bool? = nil) {
        self.label = label
        self.initialLevel = level
        self.live = nil
        self.journal = journal ?? (getenv("JOURNAL_STREAM") != nil)
    }

    /// A handler whose threshold follows `live.logLevel`.
    public init(label: String, live: LiveSettings, journal: Bool? = nil) {
        self.label = label
        self.initialLevel = live.logLevel
        self.live = live
        self.journal = journal ?? (getenv("JOURNAL_STREAM") != nil)
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        if let error = event.error { merged["error"] = "\(error)" }
        let line = Array((format(level: event.level, message: event.message.description, metadata: merged) + "\n").utf8)
        // One write(2) per line: lines from concurrent tasks never interleave.
        line.withUnsafeBytes { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    func format(level: Logger.Level, message: String, metadata: Logger.Metadata, timestamp: String? = nil) -> String {
        var line = journal ? "<\(Self.priority(level))>" : "\(timestamp ?? Self.timestamp()) \(level.rawValue) "
        line += "\(label): \(Self.escape(message))"
        for key in metadata.keys.sorted() {
            line += " \(key)=\(Self.escape(Self.quote("\(metadata[key]!)")))"
        }
        return line
    }

    /// syslog(3) priorities, as journald reads them from the `<N>` prefix.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    static func escape(_ text: String) -> String {
        // Scalars, not Characters: "\r\n" is one Character equal to neither "\r" nor "\n".
        guard text.unicodeScalars.contains(where: { $0 == "\n" || $0 == "\r" }) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\r": out.append(contentsOf: "\\r".unicodeScalars)
            case "\n": out.append(contentsOf: "\\n".unicodeScalars)
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    static func quote(_ value: String) -> String {
        guard value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) else { return value }
        return "\"" + value.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
    }

    static func timestamp() -> String {
        let now = Date().timeIntervalSince1970
        var t = time_t(now.rounded(.down))
        let millis = Int32((now - now.rounded(.down)) * 1000)
        var parts = Glibc.tm()
        gmtime_r(&t, &parts)
        func pad(_ v: Int32, _ width: Int = 2) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1))-\(pad(parts.tm_mday))T"
            + "\(pad(parts.tm_hour)):\(pad(parts.tm_min)):\(pad(parts.tm_sec)).\(pad(millis, 3))Z"
    }
}
