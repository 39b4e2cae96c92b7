import ConduitIdentity

/// Runs identity work, translating its refusals into API errors.
func identityCall<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as IdentityError {
        throw APIError(error)
    }
}
