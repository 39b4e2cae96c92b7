import Foundation

/// SMTP AUTH (RFC 4954) with the PLAIN (RFC 4616) and LOGIN mechanisms.
extension SMTPSession {
    /// Whether EHLO advertises AUTH now.
    var authOffered: Bool { authUser == nil && (tls || settings.allowInsecureAuth) }

    mutating func auth(_ argument: String) -> Action {
        guard extended, phase == .ready else {
            if phase == .transaction { return error(SMTPReply(503, "5.5.1", "AUTH not permitted during a mail transaction")) }
            return error(SMTPReply(503, "5.5.1", "Send EHLO first"))
        }
        guard authUser == nil else { return error(SMTPReply(503, "5.5.1", "Already authenticated")) }
        guard tls || settings.allowInsecureAuth else {
            return error(SMTPReply(538, "5.7.11", "Encryption required for requested authentication mechanism"))
        }
        let words = argument.split(separator: " ", omittingEmptySubsequences: true)
        guard let mechanism = words.first, words.count <= 2 else {
            return error(SMTPReply(501, "5.5.4", "Syntax: AUTH mechanism [initial-response]"))
        }
        let initial = words.count == 2 ? String(words[1]) : nil
        switch mechanism.uppercased() {
        case "PLAIN":
            guard let initial else {
                phase = .authPlain
                return .reply(SMTPReply(334, nil, ""))
            }
            return plainResponse(initial)
        case "LOGIN":
            guard let initial else {
                phase = .authLoginUser
                return .reply(SMTPReply(334, nil, "VXNlcm5hbWU6"))
            }
            return loginUser(initial)
        default:
            return error(SMTPReply(504, "5.5.4", "Unrecognized authentication mechanism"))
        }
    }

    /// A line sent in answer to a `334` challenge.
    mutating func receiveAuthResponse(_ line: String) -> Action {
        let current = phase
        phase = .ready
        if line == "*" { return error(SMTPReply(501, "5.0.0", "Authentication cancelled")) }
        switch current {
        case .authPlain: return plainResponse(line)
        case .authLoginUser: return loginUser(line)
        case let .authLoginPassword(user): return loginPassword(user: user, line)
        default: preconditionFailure("not in an AUTH exchange")
        }
    }

    private mutating func plainResponse(_ encoded: String) -> Action {
        // "authzid NUL authcid NUL passwd"; Conduit acts for nobody else, so
        // an authorization identity must be empty or the user's own.
        guard let decoded = Self.base64(encoded) else { return invalidBase64() }
        let parts = decoded.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3,
              let authzid = String(validating: parts[0], as: UTF8.self),
              let user = String(validating: parts[1], as: UTF8.self),
              let password = String(validating: parts[2], as: UTF8.self),
              !user.isEmpty, !password.isEmpty
        else { return error(SMTPReply(501, "5.5.2", "Malformed PLAIN response")) }
        guard authzid.isEmpty || authzid == user else {
            return error(SMTPReply(535, "5.7.8", "Authentication credentials invalid"))
        }
        phase = .awaiting(.auth(username: user))
        return .backend(.authenticate(username: user, password: password))
    }

    private mutating func loginUser(_ encoded: String) -> Action {
        guard let decoded = Self.base64(encoded) else { return invalidBase64() }
        guard let user = String(validating: decoded, as: UTF8.self), !user.isEmpty, !decoded.contains(0) else {
            return error(SMTPReply(501, "5.5.2", "Malformed user name"))
        }
        phase = .authLoginPassword(user: user)
        return .reply(SMTPReply(334, nil, "UGFzc3dvcmQ6"))
    }

    private mutating func loginPassword(user: String, _ encoded: String) -> Action {
        guard let decoded = Self.base64(encoded) else { return invalidBase64() }
        guard let password = String(validating: decoded, as: UTF8.self), !password.isEmpty, !decoded.contains(0) else {
            return error(SMTPReply(501, "5.5.2", "Malformed password"))
        }
        phase = .awaiting(.auth(username: user))
        return .backend(.authenticate(username: user, password: password))
    }

    private mutating func invalidBase64() -> Action {
        error(SMTPReply(501, "5.5.2", "Cannot decode base64 response"))
    }

    /// Strict RFC 4648 base64 (AUTH responses must not contain line breaks or junk).
    static func base64(_ text: String) -> [UInt8]? {
        guard !text.isEmpty, text.utf8.count <= 12_288,
              text.utf8.allSatisfy({ $0 < 0x80 && ($0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "=") || ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A)) }),
              let data = Data(base64Encoded: text)
        else { return nil }
        return Array(data)
    }
}
