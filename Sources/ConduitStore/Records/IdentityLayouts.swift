public import ConduitCore

// Binary layouts (format 2) of the identity tables. Fields are written and
// read in declaration order; adding one means a new layout version
// (`BinaryRecord`) and a default for values of the older layouts.

extension Account {
    public static let layoutVersion: UInt8 = 1

    public func encode(to writer: inout RecordWriter) {
        writer.write(id)
        writer.write(email)
        writer.write(passwordHash)
        writer.write(timezone)
        writer.write(createdAt)
        writer.write(updatedAt)
        writer.write(totp)
        writer.write(pendingTOTPSecret)
    }

    public static func decode(from reader: inout RecordReader) throws(StoreError) -> Account {
        let id = try reader.string()
        let email = try reader.string()
        let passwordHash = try reader.string()
        let timezone = try reader.string()
        let createdAt = try reader.date()
        var account = Account(id: id, email: email, passwordHash: passwordHash, timezone: timezone, createdAt: createdAt)
        account.updatedAt = try reader.date()
        account.totp = try reader.optionalValue(TOTPSettings.self)
        account.pendingTOTPSecret = try reader.optionalString()
        return account
    }
}

extension TOTPSettings: BinaryValue {
    public func encode(to writer: inout RecordWriter) {
        writer.write(secret)
        writer.write(lastUsedStep)
        writer.write(backupCodeHashes)
    }

    public static func decode(from reader: inout RecordReader) throws(StoreError) -> TOTPSettings {
        let secret = try reader.string()
        let lastUsedStep = try reader.optionalInt64()
        return TOTPSettings(secret: secret, lastUsedStep: lastUsedStep, backupCodeHashes: try reader.strings())
    }
}

extension Session {
    public static let layoutVersion: UInt8 = 1

    public func encode(to writer: inout RecordWriter) {
        writer.write(id)
        writer.write(accountID)
        writer.write(accessTokenHash)
        writer.write(accessExpiresAt)
        writer.write(refreshTokenHash)
        writer.write(refreshExpiresAt)
        writer.write(createdAt)
    }

    public static func decode(from reader: inout RecordReader) throws(StoreError) -> Session {
        let id = try reader.string()
        let accountID = try reader.string()
        let accessTokenHash = try reader.string()
        let accessExpiresAt = try reader.date()
        let refreshTokenHash = try reader.string()
        let refreshExpiresAt = try reader.date()
        return Session(id: id, accountID: accountID, accessTokenHash: accessTokenHash, accessExpiresAt: accessExpiresAt,
                       refreshTokenHash: refreshTokenHash, refreshExpiresAt: refreshExpiresAt, createdAt: try reader.date())
    }
}

extension APIToken {
    public static let layoutVersion: UInt8 = 1

    public func encode(to writer: inout RecordWriter) {
        writer.write(id)
        writer.write(accountID)
        writer.write(name)
        writer.write(tokenHash)
        writer.write(allowedIPs)
        writer.write(expiresAt)
        writer.write(lastUsedAt)
        writer.write(createdAt)
    }

    public static func decode(from reader: inout RecordReader) throws(StoreError) -> APIToken {
        let id = try reader.string()
        let accountID = try reader.string()
        let name = try reader.string()
        let tokenHash = try reader.string()
        let allowedIPs = try reader.strings()
        let expiresAt = try reader.optionalDate()
        let lastUsedAt = try reader.optionalDate()
        var token = APIToken(id: id, accountID: accountID, name: name, tokenHash: tokenHash, allowedIPs: allowedIPs,
                             expiresAt: expiresAt, createdAt: try reader.date())
        token.lastUsedAt = lastUsedAt
        return token
    }
}

extension LoginChallenge {
    public static let layoutVersion: UInt8 = 1

    public func encode(to writer: inout RecordWriter) {
        writer.write(id)
        writer.write(accountID)
        writer.write(tokenHash)
        writer.write(expiresAt)
        writer.write(failedAttempts)
    }

    public static func decode(from reader: inout RecordReader) throws(StoreError) -> LoginChallenge {
        let id = try reader.string()
        let accountID = try reader.string()
        let tokenHash = try reader.string()
        var challenge = LoginChallenge(id: id, accountID: accountID, tokenHash: tokenHash, expiresAt: try reader.date())
        challenge.failedAttempts = try reader.int()
        return challenge
    }
}

extension PasswordReset {
    public static let layoutVersion: UInt8 = 1

    public func encode(to writer: inout RecordWriter) {
        writer.write(id)
        writer.write(accountID)
        writer.write(tokenHash)
        writer.write(expiresAt)
    }

    public static func decode(from reader: inout RecordReader) throws(StoreError) -> PasswordReset {
        let id = try reader.string()
        let accountID = try reader.string()
        let tokenHash = try reader.string()
        return PasswordReset(id: id, accountID: accountID, tokenHash: tokenHash, expiresAt: try reader.date())
    }
}

extension SignInFailures {
    public static let layoutVersion: UInt8 = 1

    public func encode(to writer: inout RecordWriter) {
        writer.write(id)
        writer.write(failures)
    }

    public static func decode(from reader: inout RecordReader) throws(StoreError) -> SignInFailures {
        let id = try reader.string()
        return SignInFailures(id: id, failures: try reader.dates())
    }
}
