/// A libcrypto call failed. Carries OpenSSL's own reason string so an
/// operator can tell a misconfigured provider from exhausted memory.
public struct CryptoError: Error, CustomStringConvertible, Equatable {
    /// What was being attempted, e.g. `"scrypt"`.
    public let operation: String
    /// OpenSSL's error queue, drained at the time of failure.
    public let reason: String

    public var description: String { "\(operation) failed: \(reason)" }
}
