/// Bearer secrets: a prefix saying what the token is, then 32 random bytes
/// in base64url (43 characters). Only `SHA-256(token)` is ever stored.
public enum SecretToken {
    /// Length of the random part.
    public static let randomLength = 43

    /// A new token, e.g. `cda_…`.
    public static func generate(prefix: String) -> String {
        prefix + Base64URL.encode(SecureRandom.bytes(32))
    }

    /// The stored form: lowercase hex of SHA-256 of the whole token.
    public static func hash(_ token: String) -> String {
        Hex.encode(SHA256.hash(token))
    }

    /// `true` when `token` has `prefix` followed by exactly the random part's
    /// alphabet and length (cheap rejection before any lookup).
    public static func isWellFormed(_ token: String, prefix: String, extraLength: Int = 0) -> Bool {
        guard token.hasPrefix(prefix) else { return false }
        let rest = token.utf8.dropFirst(prefix.utf8.count)
        return rest.count == randomLength + extraLength && rest.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
    }
}

/// Lowercase hexadecimal.
public enum Hex {
    public static func encode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
