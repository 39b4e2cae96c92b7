public import Hummingbird
import FoundationEssentials

/// An API failure as the client sees it: a status and the DESIGN §3 body
/// `{"code": "snake_case", "error": "human sentence"}`.
public struct APIError: HTTPResponseError, Sendable, Equatable {
    public var status: HTTPResponse.Status
    /// Machine-readable, snake_case.
    public var code: String
    /// A sentence for people.
    public var message: String
    /// Extra headers, e.g. `Retry-After` on 429.
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        let body = try JSONEncoder().encode(Body(code: code, error: message))
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    private struct Body: Encodable {
        let code: String
        let error: String
    }

    public static func notFound(_ message: String = "Not found") -> APIError {
        APIError(.notFound, code: "not_found", message)
    }

    public static func internalError() -> APIError {
        APIError(.internalServerError, code: "internal_error", "The server failed to handle the request; it has been logged")
    }
}
