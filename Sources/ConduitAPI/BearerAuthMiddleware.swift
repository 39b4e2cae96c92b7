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
        guard let header = Self.authorization(in: request.headers), let token = Self.bearerToken(in: header) else {
            return try await next(request, context)
        }
        var context = context
        // The peer is worked out only for an API token limited to some addresses.
        context.principal = try? identity.authenticate(bearer: token, peer: context.peer)
        return try await next(request, context)
    }

    /// The `Authorization` value, as `headers[.authorization]` gives it, for
    /// one header without its subscript: that joins the values of every
    /// field of the name through a generic `joined(separator:)`, which cost
    /// more than the rest of this middleware but the authentication. Several
    /// `Authorization` fields still go through the subscript (joined with
    /// ", ", which no token parses as).
    static func authorization(in headers: HTTPFields) -> String? {
        var found: String?
        for field in headers where field.name == .authorization {
            if found != nil { return headers[.authorization] }
            found = field.value
        }
        return found
    }

    /// The credential of a `Bearer` header: the scheme case-insensitively,
    /// the rest after one space, trimmed of whitespace.
    static func bearerToken(in header: String) -> String? {
        plainBearerToken(in: header) ?? anyBearerToken(in: header)
    }

    /// Every form: the scheme before the first space (leading spaces
    /// skipped), the rest trimmed of Unicode whitespace.
    static func anyBearerToken(in header: String) -> String? {
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return String(parts[1]).trimmingCharacters(in: .whitespaces)
    }

    /// The common form, `Bearer <printable ASCII>`, read from the bytes: what
    /// `anyBearerToken` gives for it (one space, nothing to trim), without
    /// splitting, lower-casing and Foundation's trimming on every request.
    static func plainBearerToken(in header: String) -> String? {
        let bytes = header.utf8
        guard bytes.count > 7 else { return nil }
        var index = bytes.startIndex
        for expected in "bearer".utf8 {
            // ASCII letters only: setting bit 5 lower-cases them.
            guard bytes[index] | 0x20 == expected else { return nil }
            index = bytes.index(after: index)
        }
        guard bytes[index] == UInt8(ascii: " ") else { return nil }
        index = bytes.index(after: index)
        let rest = bytes[index...]
        guard rest.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        return String(Substring(rest))
    }
}
