import Logging
import Synchronization

/// Keeps every log event in memory, so tests can see what was logged.
struct CapturingLogHandler: LogHandler {
    struct Event: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: [String: String]
    }

    final class Store: Sendable {
        private let events = Mutex<[Event]>([])

        var all: [Event] { events.withLock { $0 } }

        func append(_ event: Event) { events.withLock { $0.append(event) } }
    }

    let store: Store
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        store.append(Event(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
    }

    /// A logger at trace level writing into a new store.
    static func logger() -> (Logger, Store) {
        let store = Store()
        return (Logger(label: "dns-test") { _ in CapturingLogHandler(store: store) }, store)
    }
}
