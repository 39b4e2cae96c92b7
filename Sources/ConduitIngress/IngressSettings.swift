public import Foundation

/// What the ingress needs beyond its collaborators.
public struct IngressSettings: Sendable {
    /// This host's name, for SPF explanations (`%{r}`).
    public var hostname: String
    /// How long a spooled delivery waits before its first attempt.
    public var firstAttemptDelay: TimeInterval

    public init(hostname: String, firstAttemptDelay: TimeInterval = 0) {
        self.hostname = hostname
        self.firstAttemptDelay = firstAttemptDelay
    }
}
