public import ConduitWebhooks
public import Hummingbird

/// `GET /api/v1/attachments/{token}` and `GET /api/v1/messages/{token}/raw`
/// (docs/DELIVERY.md, "Payloads sized to the receiver"): the links of a
/// payload cut to its webhook's `max_payload_bytes`. No Authorization: the
/// token (256 random bits) is the credential, so these routes sit outside
/// the bearer middleware; every miss is the same 404.
public struct PayloadLinksController<Context: RequestContext>: Sendable {
    let links: any PayloadLinkServing

    public init(links: any PayloadLinkServing) {
        self.links = links
    }

    public func addRoutes(to router: Router<Context>) {
        router.get("/api/v1/attachments/:token") { _, context in
            try await self.serve(context.parameters.get("token") ?? "", kind: .attachment)
        }
        router.get("/api/v1/messages/:token/raw") { _, context in
            try await self.serve(context.parameters.get("token") ?? "", kind: .rawMessage)
        }
    }

    func serve(_ token: String, kind: LinkedContent.Kind) async throws -> Response {
        guard let content = try await links.open(token: token, kind: kind) else {
            throw APIError.notFound("No such link, or it has expired")
        }
        var headers = HTTPFields()
        headers[.contentType] = Self.contentType(content.contentType)
        headers[.contentDisposition] = Self.contentDisposition(filename: content.filename ?? (kind == .rawMessage ? "message.eml" : nil))
        // The bytes are mail from anyone: never rendered in the API's origin,
        // never sniffed into something else, never cached or leaked by Referer.
        headers[.contentSecurityPolicy] = "sandbox; default-src 'none'"
        headers[HTTPFields.Element.Name("X-Content-Type-Options")!] = "nosniff"
        headers[.cacheControl] = "private, no-store"
        headers[HTTPFields.Element.Name("Referrer-Policy")!] = "no-referrer"
        let chunks = content.chunks
        let length = content.length
        let body = ResponseBody(contentLength: length) { writer in
            // One chunk in memory at a time: the next is read once the previous is written.
            var sent = 0
            while let chunk = try await chunks.next() {
                sent += chunk.count
                try await writer.write(ByteBuffer(bytes: chunk))
            }
            // A body that changed under us would break Content-Length; the
            // store's size check makes that an error (the connection closes).
            guard sent == length else { throw APIError.internalError() }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    /// The attachment's `type/subtype` when it is two RFC 7230 tokens, else `application/octet-stream`.
    static func contentType(_ value: String) -> String {
        let parts = value.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(isTokenByte) }) else {
            return "application/octet-stream"
        }
        return value
    }

    /// `attachment`, with the file name as a quoted ASCII fallback and, when
    /// it is not plain ASCII, as RFC 8187 `filename*=UTF-8''…` (RFC 6266 §4.3).
    /// Control characters, quotes and backslashes never reach the header.
    static func contentDisposition(filename: String?) -> String {
        guard let filename, !filename.isEmpty else { return "attachment" }
        var fallback = ""
        var plain = true
        for scalar in filename.unicodeScalars {
            if scalar.value >= 0x20, scalar.value < 0x7F, scalar != "\"", scalar != "\\" {
                fallback.unicodeScalars.append(scalar)
            } else {
                fallback.append("_")
                plain = false
            }
        }
        guard !plain else { return "attachment; filename=\"\(fallback)\"" }
        var encoded = ""
        for byte in filename.utf8 {
            if isAttrChar(byte) {
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                encoded += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 15, radix: 16, uppercase: true)
            }
        }
        return "attachment; filename=\"\(fallback)\"; filename*=UTF-8''\(encoded)"
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        default: "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    /// RFC 8187 attr-char: ALPHA / DIGIT / "!#$&+-.^_`|~".
    private static func isAttrChar(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        default: "!#$&+-.^_`|~".utf8.contains(byte)
        }
    }
}
