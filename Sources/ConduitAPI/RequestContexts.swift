public import ConduitCore
public import ConduitIdentity
public import Hummingbird
import NIOCore
public import FoundationEssentials
import Logging

/// The context of every request: the peer's address (API tokens may be
/// restricted to some) and, once the bearer middleware ran, the principal.
public struct ConduitRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection, whose peer only API tokens with `allowed_ips` ask for.
    private let channel: any Channel
    /// Set by `BearerAuthMiddleware` when the request carried a valid token.
    public var principal: Principal?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The TCP peer, for `allowed_ips`: worked out when asked, not for every
    /// request (the address is formatted as text, then parsed).
    public var peer: IPAddress? {
        channel.remoteAddress?.ipAddress.flatMap(IPAddress.init)
    }

    /// JSON with RFC 3339 dates, as every response uses.
    public var responseEncoder: JSONEncoder { APIJSON.encoder }
    public var requestDecoder: JSONDecoder { APIJSON.decoder }
}

/// The context of routes that need authentication. It cannot be built
/// without a principal, so a handler that has one is authenticated.
public struct AuthenticatedContext: ChildRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let principal: Principal

    public init(context: ConduitRequestContext) throws {
        guard let principal = context.principal else { throw APIError.unauthorized() }
        coreContext = context.coreContext
        self.principal = principal
    }

    public var responseEncoder: JSONEncoder { APIJSON.encoder }
    public var requestDecoder: JSONDecoder { APIJSON.decoder }
}

extension AuthenticatedContext {
    /// 403 `session_required` for an API token. Routes that change
    /// credentials call it before reading the body, so the answer does not
    /// depend on what the token's holder sent.
    func requireSession(_ identity: IdentityService) throws {
        try identity.requireSession(principal)
    }
}
