/// Time-based one-time passwords (RFC 6238) over HOTP (RFC 4226):
/// HMAC-SHA1, 6 digits, 30-second steps.
public struct TOTP: Sendable {
    public let secret: [UInt8]
    public let digits: Int
    public let period: Int64

    public init(secret: [UInt8], digits: Int = 6, period: Int64 = 30) {
        precondition((6...8).contains(digits) && period > 0)
        self.secret = secret
        self.digits = digits
        self.period = period
    }

    /// The step a Unix time falls in.
    public func step(at unixSeconds: Int64) -> Int64 { unixSeconds / period }

    /// The code for one step, zero-padded.
    public func code(step: Int64) -> String {
        var counter = UInt64(bitPattern: step).bigEndian
        let message = withUnsafeBytes(of: &counter) { Array($0) }
        let mac = HMAC.sha1(key: secret, message: message)
        let offset = Int(mac[mac.count - 1] & 0x0F)
        let binary = (UInt32(mac[offset] & 0x7F) << 24) | (UInt32(mac[offset + 1]) << 16)
            | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let value = String(binary % modulus)
        return String(repeating: "0", count: digits - value.count) + value
    }

    /// The code for a Unix time.
    public func code(at unixSeconds: Int64) -> String { code(step: step(at: unixSeconds)) }

    /// The step whose code equals `candidate`, looking `window` steps either
    /// side of now (clock drift), and only at steps after `lastUsedStep`, so
    /// a code is accepted once. Compares in constant time.
    public func match(_ candidate: String, at unixSeconds: Int64, window: Int64 = 1, after lastUsedStep: Int64?) -> Int64? {
        guard candidate.utf8.count == digits, candidate.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        let now = step(at: unixSeconds)
        var found: Int64?
        for step in (now - window)...(now + window) {
            if let lastUsedStep, step <= lastUsedStep { continue }
            // Check every step, not stopping early, so timing says nothing about which matched.
            if ConstantTime.equals(Array(code(step: step).utf8), Array(candidate.utf8)), found == nil {
                found = step
            }
        }
        return found
    }
}
