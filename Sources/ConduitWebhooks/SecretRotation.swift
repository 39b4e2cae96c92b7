public import ConduitCore
import ConduitStore
import Foundation
import Logging

/// What `POST /webhooks/{id}/rotate-secret` asks for; both optional.
public struct SecretRotationInput: Sendable {
    /// The new `whsec_…` secret; absent: Conduit generates one.
    public var secret: String?
    /// How long the replaced secret keeps signing; absent: a day.
    public var previousValidSeconds: Int?

    public init(secret: String? = nil, previousValidSeconds: Int? = nil) {
        self.secret = secret
        self.previousValidSeconds = previousValidSeconds
    }
}

/// The rules of secret rotation (docs/API.md, "Rotating a secret";
/// docs/DELIVERY.md, "Secret rotation"): the new secret signs at once, the
/// replaced one signs beside it until its expiry, so receivers can switch
/// secrets without refusing a POST in between.
enum SecretRotation {
    static let defaultPreviousValidSeconds = 86_400
    /// Up to a week: long enough for any deploy, short enough that a leaked
    /// secret one rotates away from does not sign for long.
    static let previousValidSecondsRange = 0...604_800

    static func previousValidSeconds(_ value: Int?) throws(ResourceError) -> Int {
        let seconds = value ?? defaultPreviousValidSeconds
        guard previousValidSecondsRange.contains(seconds) else {
            throw FieldRules.invalid("invalid_previous_valid_seconds", "previous_valid_seconds must be an integer from 0 to 604800")
        }
        return seconds
    }

    /// Makes `newSecret` the current secret of `webhook`. The replaced secret
    /// becomes the previous one for `previousValidSeconds` (0: it stops at
    /// once); a previous secret from an earlier rotation is dropped, since a
    /// header carries at most two signatures.
    /// - Parameter now: the unrounded time: the expiry is rounded *up* to
    ///   the whole second the API shows, so the old secret signs for at least
    ///   `previousValidSeconds`.
    static func rotate(_ webhook: inout Webhook, to newSecret: String, previousValidSeconds: Int, now: Date) {
        if previousValidSeconds > 0 {
            webhook.previousSecret = webhook.secret
            let expiry = (now.timeIntervalSince1970 + Double(previousValidSeconds)).rounded(.up)
            webhook.previousSecretExpiresAt = Date(timeIntervalSince1970: expiry)
        } else {
            dropPreviousSecret(&webhook)
        }
        webhook.secret = newSecret
    }

    static func dropPreviousSecret(_ webhook: inout Webhook) {
        webhook.previousSecret = nil
        webhook.previousSecretExpiresAt = nil
    }
}

extension WebhookService {
    /// `POST /webhooks/{id}/rotate-secret`: another account's or an unknown
    /// webhook is not found; a given secret is validated like `secret` and must
    /// differ from the current one (422 `invalid_secret`).
    public func rotateSecret(accountID: String, id: String, input: SecretRotationInput) throws -> Webhook {
        _ = try get(accountID: accountID, id: id)
        let newSecret = try input.secret.map { s throws(ResourceError) in try FieldRules.secret(s) } ?? FieldRules.newSecret()
        let seconds = try SecretRotation.previousValidSeconds(input.previousValidSeconds)
        // Read and written in one transaction: a PUT or another rotation in
        // between must not be lost, nor make the secret it set the previous one.
        let webhook = try write { txn in
            guard var webhook = try txn.reader.get(Webhook.self, id: id), webhook.accountID == accountID else {
                throw ResourceError.notFound
            }
            guard newSecret != webhook.secret else {
                throw FieldRules.invalid("invalid_secret", "secret must differ from the webhook's current secret")
            }
            SecretRotation.rotate(&webhook, to: newSecret, previousValidSeconds: seconds, now: Date())
            webhook.updatedAt = PolicyService.now()
            try txn.update(webhook)
            return webhook
        }
        logger.info("webhook secret rotated", metadata: [
            "account": "\(accountID)", "webhook": "\(id)", "previous_valid_seconds": "\(seconds)",
        ])
        return webhook
    }
}
