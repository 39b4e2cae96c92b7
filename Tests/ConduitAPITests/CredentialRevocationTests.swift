@testable import ConduitAPI
import ConduitCore
import ConduitIdentity
import ConduitStore
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import Testing

/// Through the API's own middleware and routes, in process: a token the
/// credential cache has served stops working on the very next request once
/// it is revoked.
@Suite struct CredentialRevocationTests {
    struct NoMail: Mailer {
        func send(_ mail: OutgoingMail) async throws {}
    }

    /// The bearer middleware, the authenticated group, the token and session
    /// routes and one route that needs a principal, over a fresh store.
    struct API {
        let directory: String
        let store: Store
        let identity: IdentityService
        let responder: any HTTPResponder<ConduitRequestContext>
        let channel = EmbeddedChannel()

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("conduit-api-\(UUID().uuidString)").path
            store = try Store(path: directory, mapSizeBytes: 64 << 20, schema: Schema(version: 1, records: IdentityService.recordTypes))
            identity = try IdentityService(
                store: store, settings: IdentitySettings(totpIssuer: "Conduit", publicURL: "https://conduit.test", mailFrom: "c@conduit.test"),
                mailer: NoMail(), logger: Logger(label: "test"), hasher: PasswordHasher(parameters: Scrypt(n: 1 << 10, r: 8, p: 1))
            )
            let router = Router(context: ConduitRequestContext.self)
            router.add(middleware: ErrorMiddleware())
            let api = router.group("api/v1").add(middleware: BearerAuthMiddleware(identity: identity))
            let authenticated = api.group(context: AuthenticatedContext.self)
            SessionsController(identity: identity).addRoutes(public: api, authenticated: authenticated)
            APITokensController(identity: identity).addRoutes(authenticated: authenticated)
            authenticated.get("whoami") { _, context in context.principal.accountID }
            responder = router.buildResponder()
        }

        func cleanup() {
            store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }

        /// The status of `method path` with `token`; a thrown API error's status.
        func status(_ method: HTTPRequest.Method, _ path: String, token: String) async throws -> HTTPResponse.Status {
            var head = HTTPRequest(method: method, scheme: "http", authority: "localhost", path: path)
            head.headerFields[.authorization] = "Bearer \(token)"
            let request = Request(head: head, body: RequestBody(buffer: ByteBuffer()))
            let context = ConduitRequestContext(source: .init(channel: channel, logger: Logger(label: "test")))
            do {
                return try await responder.respond(to: request, context: context).status
            } catch let error as any HTTPResponseError {
                return error.status
            }
        }

        func session() async throws -> (Principal, SessionTokens) {
            _ = try await identity.signUp(email: "a@example.com", password: "password1")
            guard case let .session(tokens) = try await identity.signIn(email: "a@example.com", password: "password1") else {
                throw IdentityError.invalidCredentials
            }
            return (try identity.authenticate(bearer: tokens.accessToken, peer: nil), tokens)
        }
    }

    @Test func aDeletedAPITokenIs401OnTheNextRequest() async throws {
        let api = try API()
        defer { api.cleanup() }
        let (principal, tokens) = try await api.session()
        let view = try api.identity.createAPIToken(principal, name: "ci", allowedIPs: nil, expiresIn: nil)
        let token = try #require(view.token)
        #expect(try await api.status(.get, "/api/v1/whoami", token: token) == .ok)
        #expect(try await api.status(.get, "/api/v1/whoami", token: token) == .ok)
        #expect(try await api.status(.delete, "/api/v1/accounts/me/api-tokens/\(view.record.id)", token: tokens.accessToken) == .noContent)
        #expect(try await api.status(.get, "/api/v1/whoami", token: token) == .unauthorized)
    }

    @Test func aSignedOutSessionIs401OnTheNextRequest() async throws {
        let api = try API()
        defer { api.cleanup() }
        let (_, tokens) = try await api.session()
        #expect(try await api.status(.get, "/api/v1/whoami", token: tokens.accessToken) == .ok)
        #expect(try await api.status(.delete, "/api/v1/sessions", token: tokens.accessToken) == .noContent)
        #expect(try await api.status(.get, "/api/v1/whoami", token: tokens.accessToken) == .unauthorized)
    }
}
