import Logging
import ConduitCore
import ConduitStore
import Foundation

/// What `2fa/setup` returns.
public struct TOTPSetup: Sendable, Equatable {
    public let secret: String
    public let otpauthURL: String
    /// PNG bytes of a QR code of `otpauthURL`.
    public let qrCodePNG: [UInt8]
}

extension IdentityService {
    static let backupCodeCount = 10

    /// Starts enrolment: a new pending secret, replacing any earlier pending one.
    public func setupTOTP(_ principal: Principal) throws -> TOTPSetup {
        try requireSession(principal)
        let secret = Base32.encode(SecureRandom.bytes(20))
        let email: String = try write { txn in
            guard var account = try txn.reader.get(Account.self, id: principal.accountID) else { throw IdentityError.unauthorized }
            guard account.totp == nil else { throw IdentityError.totpAlreadyEnabled }
            account.pendingTOTPSecret = secret
            try txn.update(account)
            return account.email
        }
        let issuer = Self.percentEncode(settings.totpIssuer)
        let url = "otpauth://totp/\(issuer):\(Self.percentEncode(email))?secret=\(secret)&issuer=\(issuer)"
        return TOTPSetup(secret: secret, otpauthURL: url, qrCodePNG: try QRCode.png(for: url))
    }

    /// Confirms enrolment with a code from the pending secret; returns backup codes.
    public func enableTOTP(_ principal: Principal, code: String) throws -> [String] {
        try requireSession(principal)
        let when = now()
        let codes = Self.newBackupCodes()
        let outcome: Result<Void, IdentityError> = try write { txn in
            guard var account = try txn.reader.get(Account.self, id: principal.accountID) else { return .failure(.unauthorized) }
            guard account.totp == nil else { return .failure(.totpAlreadyEnabled) }
            guard let pending = account.pendingTOTPSecret, let secret = Base32.decode(pending) else { return .failure(.totpNotSetUp) }
            guard let step = TOTP(secret: secret).match(code, at: Int64(when.timeIntervalSince1970), after: nil) else {
                return .failure(.invalidTOTP)
            }
            account.totp = TOTPSettings(secret: pending, lastUsedStep: step, backupCodeHashes: codes.map(Self.backupCodeHash))
            account.pendingTOTPSecret = nil
            account.updatedAt = when
            try txn.update(account)
            return .success(())
        }
        try outcome.get()
        logger.info("TOTP enabled", metadata: ["account": "\(principal.accountID)"])
        return codes
    }

    /// Replaces the backup codes; needs a valid TOTP or backup code.
    public func regenerateBackupCodes(_ principal: Principal, code: String) throws -> [String] {
        let codes = Self.newBackupCodes()
        try withSecondFactor(principal, code: code) { account in
            account.totp?.backupCodeHashes = codes.map(Self.backupCodeHash)
        }
        return codes
    }

    /// Turns 2FA off; needs a valid TOTP or backup code.
    public func disableTOTP(_ principal: Principal, code: String) throws {
        try withSecondFactor(principal, code: code) { account in
            account.totp = nil
            account.pendingTOTPSecret = nil
        }
        logger.info("TOTP disabled", metadata: ["account": "\(principal.accountID)"])
    }

    /// Runs `change` after a right code; wrong codes count in the same
    /// per-account throttle as the sign-in's second step.
    private func withSecondFactor(_ principal: Principal, code: String, change: (inout Account) -> Void) throws {
        try requireSession(principal)
        let when = now()
        let outcome: Result<Void, IdentityError> = try write { txn in
            guard var account = try txn.reader.get(Account.self, id: principal.accountID) else { return .failure(.unauthorized) }
            guard account.totp != nil else { return .failure(.totpNotEnabled) }
            if let refusal = try secondFactorRefusal(code, of: &account, in: txn, at: when) { return .failure(refusal) }
            change(&account)
            account.updatedAt = when
            try txn.update(account)
            return .success(())
        }
        try outcome.get()
    }

    /// Accepts a TOTP code of a step not used before, or an unused backup
    /// code, and records its use in `account`. `false` changes nothing.
    func consumeSecondFactor(_ code: String, of account: inout Account, at when: Date) -> Bool {
        guard var totp = account.totp, let secret = Base32.decode(totp.secret) else { return false }
        let trimmed = code.trimmingCharacters(in: .whitespaces)
        if let step = TOTP(secret: secret).match(trimmed, at: Int64(when.timeIntervalSince1970), after: totp.lastUsedStep) {
            totp.lastUsedStep = step
            account.totp = totp
            return true
        }
        guard let normalized = Self.normalizeBackupCode(trimmed) else { return false }
        let hash = Self.backupCodeHash(normalized)
        guard let index = totp.backupCodeHashes.firstIndex(where: { ConstantTime.equals(Array($0.utf8), Array(hash.utf8)) }) else {
            return false
        }
        totp.backupCodeHashes.remove(at: index)
        account.totp = totp
        return true
    }

    /// Ten codes of 80 bits each, shown as `xxxx-xxxx-xxxx-xxxx`.
    static func newBackupCodes() -> [String] {
        (0..<backupCodeCount).map { _ in
            let raw = Base32.encode(SecureRandom.bytes(10)).lowercased()
            return stride(from: 0, to: 16, by: 4).map { offset in
                let start = raw.index(raw.startIndex, offsetBy: offset)
                return String(raw[start..<raw.index(start, offsetBy: 4)])
            }.joined(separator: "-")
        }
    }

    /// Lower-case, without dashes or spaces; `nil` unless 16 base32 characters.
    static func normalizeBackupCode(_ code: String) -> String? {
        let compact = code.lowercased().filter { $0 != "-" && $0 != " " }
        guard compact.count == 16, compact.allSatisfy({ ("a"..."z").contains($0) || ("2"..."7").contains($0) }) else { return nil }
        return compact
    }

    static func backupCodeHash(_ code: String) -> String {
        SecretToken.hash(normalizeBackupCode(code) ?? code)
    }

    /// RFC 3986 percent-encoding for an otpauth label or parameter.
    static func percentEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~@")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
