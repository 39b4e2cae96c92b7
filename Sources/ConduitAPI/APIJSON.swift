import Hummingbird
import FoundationEssentials

/// JSON in and out of the API.
enum APIJSON {
    /// Largest request body accepted.
    static let maxBodyBytes = 64 * 1024

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    static var decoder: JSONDecoder { JSONDecoder() }

    /// A response with `value` as its JSON body.
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        let body = try encoder.encode(value)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// A response with `value` written by `JSONByteWriter`: the values as
    /// `JSONEncoder` writes them, members in the order written, without
    /// `JSONEncoder` (the list routes, docs/PERFORMANCE.md "REST (issue 15)").
    static func response(_ value: some JSONBytesEncodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        var writer = JSONByteWriter()
        value.write(to: &writer)
        return Response(status: status, headers: headers, body: .init(byteBuffer: writer.buffer))
    }

    static func noContent() -> Response { Response(status: .noContent) }
}

extension Request {
    /// Decodes the JSON body as `T`. Anything that is not JSON of that shape
    /// is 422 `invalid_request`, naming the field when there is one.
    func decodeJSON<T: Decodable>(_ type: T.Type) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: APIJSON.maxBodyBytes)
        } catch {
            throw APIError(.contentTooLarge, code: "payload_too_large", "The request body is larger than \(APIJSON.maxBodyBytes) bytes")
        }
        do {
            return try APIJSON.decoder.decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw APIError(.unprocessableContent, code: "invalid_request", Self.describe(error))
        } catch {
            throw APIError(.unprocessableContent, code: "invalid_request", "The body is not valid JSON")
        }
    }

    /// Like `decodeJSON`, but an empty body gives `nil`.
    func decodeOptionalJSON<T: Decodable>(_ type: T.Type) async throws -> T? {
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: APIJSON.maxBodyBytes)
        } catch {
            throw APIError(.contentTooLarge, code: "payload_too_large", "The request body is larger than \(APIJSON.maxBodyBytes) bytes")
        }
        guard buffer.readableBytesView.contains(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }) else { return nil }
        do {
            return try APIJSON.decoder.decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw APIError(.unprocessableContent, code: "invalid_request", Self.describe(error))
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case let .keyNotFound(key, _):
            return "Missing field '\(key.stringValue)'"
        case let .typeMismatch(type, context), let .valueNotFound(type, context):
            let field = path(context)
            return field.isEmpty ? "The body must be a JSON object" : "Field '\(field)' must be \(Self.typeName(type))"
        case .dataCorrupted:
            return "The body is not valid JSON"
        @unknown default:
            return "The body is not valid"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type: "an integer"
        case is [String].Type: "an array of strings"
        default: "of a different type"
        }
    }
}

extension Decoder {
    /// Refuses explicit `null` for every field of `Keys` not in `nullable`:
    /// in a partial update an absent field keeps its value, but `null` is a
    /// wrong type (422), not a silent no-op. Keys the request does not
    /// define are ignored whatever their value, `null` included, as every
    /// other unknown field is (the OpenAPI document allows them).
    func rejectNulls<Keys: CodingKey & CaseIterable>(of keys: Keys.Type, except nullable: Set<String> = []) throws {
        let container = try container(keyedBy: Keys.self)
        for key in Keys.allCases where !nullable.contains(key.stringValue) && container.contains(key) {
            if try container.decodeNil(forKey: key) {
                throw DecodingError.valueNotFound(String.self, .init(codingPath: [key], debugDescription: "null is not allowed here"))
            }
        }
    }
}
