import ConduitStore
public import Hummingbird
import Logging

/// Gives every error response the `{"code","error"}` shape: Hummingbird's own
/// `HTTPError`s (unknown route, bad method, body too large) and a full store
/// (507 `storage_full`) are translated,
/// anything unexpected is logged and answered 500 without internals.
public struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let allowedMethods: AllowedMethods

    public init() {
        allowedMethods = AllowedMethods(openAPI: OpenAPIDocument.text)
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as any APIErrorConvertible {
            throw error.apiError
        } catch where StoreError.isStorageFull(error) {
            // A store write outside the services' own mapping (map or disk full).
            throw APIError.storageFull()
        } catch let error as HTTPError where error.status == .notFound {
            // The router found no handler: a known path with the wrong method is 405.
            if let methods = allowedMethods.methods(for: request.uri.path), !methods.contains(request.method.rawValue) {
                var headers = HTTPFields()
                headers[.allow] = methods.joined(separator: ", ")
                throw APIError(.methodNotAllowed, code: "method_not_allowed", "\(request.method.rawValue) is not allowed here; use \(methods.joined(separator: " or "))", headers: headers)
            }
            throw APIError.notFound()
        } catch let error as HTTPError {
            throw APIError(error.status, code: Self.code(for: error.status), error.body ?? error.status.reasonPhrase, headers: error.headers)
        } catch let error as any HTTPResponseError {
            throw APIError(error.status, code: Self.code(for: error.status), error.status.reasonPhrase)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            throw APIError.internalError()
        }
    }

    /// A snake_case code from a status: 404 → `not_found`, 405 → `method_not_allowed`.
    static func code(for status: HTTPResponse.Status) -> String {
        let phrase = status.reasonPhrase.isEmpty ? "http_\(status.code)" : status.reasonPhrase
        return String(phrase.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }
}
