public import ConduitIdentity
public import Hummingbird
import Foundation

/// Resolves `Authorization: Bearer <token>` into the context's principal when
/// the token is valid. It never refuses a request itself: public routes
/// ignore credentials, and `AuthenticatedContext` answers 401 when there is
/// no principal, whether the header was missing or its token invalid.
public struct BearerAuthMiddleware: RouterMiddleware {
    public typealias Context = ConduitRequestContext
    let identity: IdentityService

    public init(identity: IdentityService) {
        self.identity = identity
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else { return try await next(request, context) }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return try await next(request, context) }
        var context = context
        context.principal = try? identity.authenticate(bearer: String(parts[1]).trimmingCharacters(in: .whitespaces), peer: context.peer)
        return try await next(request, context)
    }
}
