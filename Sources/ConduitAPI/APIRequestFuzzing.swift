import FoundationEssentials

/// The fuzz target's way in (docs/RELIABILITY.md, "Fuzzing"): a request body
/// decoded as every request type the routes decode, with the decoder and
/// rules `decodeJSON` uses (`APIJSON.decoder`, `rejectNulls`, the size
/// limit). SPI, so the module's public surface does not grow.
@_spi(Fuzzing) public enum APIRequestFuzzing {
    /// Decodes `body` as each request type; returns how many accepted it.
    /// Bodies over `APIJSON.maxBodyBytes` are refused before decoding, as
    /// the routes do.
    public static func decodeEveryRequest(_ body: [UInt8]) -> Int {
        guard body.count <= APIJSON.maxBodyBytes else { return 0 }
        let data = Data(body)
        var accepted = 0
        func attempt<T: Decodable>(_ type: T.Type, _ use: (T) -> Void = { _ in }) {
            guard let value = try? APIJSON.decoder.decode(T.self, from: data) else { return }
            use(value)
            accepted += 1
        }
        attempt(APITokensController.CreateRequest.self)
        attempt(AccountsController.SignUpRequest.self)
        attempt(AccountsController.TimezoneRequest.self)
        attempt(AccountsController.ChangePasswordRequest.self)
        attempt(AccountsController.DeleteRequest.self)
        attempt(AccountsController.ResetRequest.self)
        attempt(AccountsController.ResetConfirmRequest.self)
        attempt(DomainsController.CreateRequest.self)
        attempt(PoliciesController.PolicyRequest.self) { _ = $0.input }
        attempt(RedeliveryController.BulkRequest.self)
        attempt(SessionsController.SignInRequest.self)
        attempt(SessionsController.CompleteRequest.self)
        attempt(SessionsController.RefreshRequest.self)
        attempt(SessionsController.SignOutRequest.self)
        attempt(TwoFactorController.CodeRequest.self)
        attempt(WebhooksController.SimulateRequest.self)
        attempt(WebhooksController.WebhookRequest.self) { _ = $0.input }
        attempt(WebhooksController.RotateSecretRequest.self) { _ = $0.input }
        return accepted
    }
}
