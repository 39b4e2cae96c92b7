import ConduitCore
import ConduitStore
import Foundation
import Logging
import Synchronization

extension DeliveryEngine {
    /// Runs the first attempt of a just-spooled message's deliveries while
    /// the SMTP client waits, up to `timeout`. Attempts that take longer go
    /// on in the background and the message counts as accepted. `leased`:
    /// the deliveries the spool transaction leased already; when that was
    /// not all of them (`unleased`), the others are claimed here if they can be.
    public func deliverInline(messageID: String, timeout: Duration) async -> SpoolVerdict {
        await deliverInline(messageID: messageID, leased: [], unleased: true, timeout: timeout)
    }

    func deliverInline(messageID: String, leased: [DeliveryClaim], unleased: Bool, timeout: Duration) async -> SpoolVerdict {
        var claims = leased
        if unleased {
            do {
                claims += try await io.run { try self.claimMessage(messageID, now: Date()) }
            } catch {
                logger.error("inline delivery: claiming failed", metadata: ["message": "\(messageID)", "error": "\(error)"])
            }
            // Deliveries not claimed here (rate limit, busy webhook) are the loop's.
            wake.signal()
        }
        let tasks = claims.compactMap { claim in
            let task = start(claim)
            if task == nil { release([claim]) }
            return task
        }
        guard !tasks.isEmpty else { return .accepted }
        guard let reports = await Self.results(of: tasks, within: timeout) else { return .accepted }
        // The reports cover only what was claimed; the store knows every
        // delivery of the message, the unclaimed ones included.
        let states: [Delivery.State]
        do {
            states = try store.read { try $0.deliveries(ofMessage: messageID).map(\.state) }
        } catch {
            logger.error("inline delivery: reading the outcome failed", metadata: ["message": "\(messageID)", "error": "\(error)"])
            return .accepted
        }
        return SpoolVerdict.of(reports: reports, states: states)
    }

    /// The tasks' results, or `nil` when they are not all done within `timeout`
    /// (the tasks keep running either way).
    static func results(of tasks: [Task<AttemptReport?, Never>], within timeout: Duration) async -> [AttemptReport?]? {
        await withCheckedContinuation { (continuation: CheckedContinuation<[AttemptReport?]?, Never>) in
            let once = ResumeOnce(continuation)
            let timer = Task {
                try? await Task.sleep(for: timeout)
                once.resume(returning: nil)
            }
            Task {
                var reports: [AttemptReport?] = []
                for task in tasks { reports.append(await task.value) }
                timer.cancel()
                once.resume(returning: reports)
            }
        }
    }
}

/// A continuation that the first of several racers resumes.
private final class ResumeOnce<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, Never>?>

    init(_ continuation: CheckedContinuation<T, Never>) {
        self.continuation = Mutex(continuation)
    }

    func resume(returning value: T) {
        continuation.withLock { $0.take() }?.resume(returning: value)
    }
}
