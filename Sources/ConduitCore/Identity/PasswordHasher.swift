/// Password storage with scrypt in a self-describing format:
/// `$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<hash>` (base64url, no padding),
/// so parameters can be raised later and old hashes still verify.
public struct PasswordHasher: Sendable {
    public let parameters: Scrypt
    static let saltLength = 16
    static let hashLength = 32

    public init(parameters: Scrypt = .passwordDefault) {
        self.parameters = parameters
    }

    /// A new salted hash of `password`.
    public func hash(_ password: String) throws -> String {
        let salt = SecureRandom.bytes(Self.saltLength)
        let derived = try parameters.derive(password: Array(password.utf8), salt: salt, length: Self.hashLength)
        let logN = UInt64.bitWidth - 1 - parameters.n.leadingZeroBitCount
        return "$scrypt$ln=\(logN),r=\(parameters.r),p=\(parameters.p)$\(Base64URL.encode(salt))$\(Base64URL.encode(derived))"
    }

    /// Whether `password` matches `stored`. A malformed `stored` never matches.
    public func verify(_ password: String, against stored: String) -> Bool {
        guard let parsed = Self.parse(stored),
              let derived = try? parsed.parameters.derive(password: Array(password.utf8), salt: parsed.salt, length: parsed.hash.count)
        else { return false }
        return ConstantTime.equals(derived, parsed.hash)
    }

    /// Whether `stored` was made with weaker parameters than these (rehash on next sign-in).
    public func needsRehash(_ stored: String) -> Bool {
        guard let parsed = Self.parse(stored) else { return true }
        return parsed.parameters.n < parameters.n || parsed.parameters.r < parameters.r || parsed.parameters.p < parameters.p
    }

    static func parse(_ stored: String) -> (parameters: Scrypt, salt: [UInt8], hash: [UInt8])? {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0].isEmpty, parts[1] == "scrypt" else { return nil }
        var values: [String: UInt64] = [:]
        for pair in parts[2].split(separator: ",") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, let value = UInt64(kv[1]) else { return nil }
            values[String(kv[0])] = value
        }
        guard let ln = values["ln"], (1...24).contains(ln), let r = values["r"], (1...64).contains(r),
              let p = values["p"], (1...16).contains(p),
              let salt = Base64URL.decode(String(parts[3])), salt.count >= 8,
              let hash = Base64URL.decode(String(parts[4])), hash.count >= 16
        else { return nil }
        return (Scrypt(n: 1 << ln, r: r, p: p), salt, hash)
    }
}
