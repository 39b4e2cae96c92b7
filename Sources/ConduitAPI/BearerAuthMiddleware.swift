public import ConduitIdentity
public import Hummingbird
import Foundation

/// Resolves `Authorization: Bearer <token>` into the context's principal.
/// A missing header passes through (the authenticated group then answers
/// 401); a present but invalid one is 401 at once.
public struct BearerAuthMiddleware: RouterMiddleware {
    public typealias Context = ConduitRequestContext
    let identity: IdentityService

    public init(identity: IdentityService) {
        self.identity = identity
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else { return try await next(request, context) }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { throw APIError.unauthorized() }
        var context = context
        do {
            context.principal = try identity.authenticate(bearer: String(parts[1]).trimmingCharacters(in: .whitespaces), peer: context.peer)
        } catch let error as IdentityError {
            throw APIError(error)
        }
        return try await next(request, context)
    }
}
