import ConduitCore
import Foundation
import Mustache

/// Validation of each webhook and policy field (docs/API.md, "Webhooks").
enum FieldRules {
    static func invalid(_ code: String, _ message: String) -> ResourceError { .invalid(code: code, message: message) }

    /// At most 100 Unicode code points as sent — what JSON Schema's
    /// `maxLength` counts in openapi.json, not grapheme clusters, and before
    /// trimming —, not only white space, on one line.
    static func name(_ raw: String) throws(ResourceError) -> String {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard raw.unicodeScalars.count <= 100, !name.isEmpty, !name.contains(where: \.isNewline) else { throw invalid("invalid_name", "name must be 1 to 100 characters") }
        return name
    }

    /// Comma- or whitespace-separated items.
    static func items(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == "," || $0.isWhitespace }).map(String.init)
    }

    static func sourceIPs(_ text: String) throws(ResourceError) -> [String] {
        let list = items(text)
        guard list.count <= 100 else { throw invalid("invalid_ip", "at most 100 addresses or ranges") }
        var out: [String] = []
        for item in list {
            guard let cidr = CIDR(item) else { throw invalid("invalid_ip", "not an IP address or CIDR range: \(item)") }
            if !out.contains(cidr.description) { out.append(cidr.description) }
        }
        return out
    }

    static func domains(_ text: String, field: String) throws(ResourceError) -> [String] {
        let list = items(text)
        guard list.count <= 100 else { throw invalid("invalid_domain", "\(field): at most 100 domains") }
        var out: [String] = []
        for item in list {
            do {
                let domain = try DomainName.normalize(item)
                if !out.contains(domain) { out.append(domain) }
            } catch {
                throw invalid("invalid_domain", "\(field): \(item): \(error.reason)")
            }
        }
        return out
    }

    /// `user:password` pairs, comma- or newline-separated.
    static func credentials(_ text: String) throws(ResourceError) -> [(username: String, password: String)] {
        let entries = text.split(whereSeparator: { $0 == "," || $0.isNewline }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard entries.count <= 20 else { throw invalid("invalid_smtp_credentials", "at most 20 credentials") }
        var out: [(String, String)] = []
        for entry in entries {
            let parts = entry.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw invalid("invalid_smtp_credentials", "each credential is user:password") }
            let user = String(parts[0]), password = String(parts[1])
            guard (1...64).contains(user.utf8.count), user.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw invalid("invalid_smtp_credentials", "user names are 1 to 64 printable ASCII characters without spaces")
            }
            guard (8...128).contains(password.unicodeScalars.count) else { throw invalid("invalid_smtp_credentials", "passwords are 8 to 128 characters") }
            guard !out.contains(where: { $0.0 == user }) else { throw invalid("invalid_smtp_credentials", "user \(user) appears twice") }
            out.append((user, password))
        }
        return out
    }

    /// `local@domain` or `*@domain`, lower-cased, domain normalized.
    static func address(_ raw: String) throws(ResourceError) -> String {
        let text = raw.trimmingCharacters(in: .whitespaces)
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw invalid("invalid_address", "address must be local@domain or *@domain") }
        let domain: String
        do {
            domain = try DomainName.normalize(String(parts[1]))
        } catch {
            throw invalid("invalid_address", "address domain: \(error.reason)")
        }
        let local = parts[0].lowercased()
        if local == "*" { return "*@\(domain)" }
        guard let normalized = EmailAddress.normalize("\(local)@\(domain)") else {
            throw invalid("invalid_address", "address must be local@domain (dot-atom local part) or *@domain")
        }
        return normalized
    }

    static func targetURL(_ raw: String) throws(ResourceError) -> String {
        guard raw.utf8.count <= 2048, let url = URL(string: raw), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty,
              url.user == nil, url.password == nil, !raw.contains(where: { $0.isWhitespace })
        else { throw invalid("invalid_target_url", "target_url must be an absolute http(s) URL without user info") }
        return raw
    }

    /// `whsec_` + base64 of 24 to 64 bytes (Standard Webhooks).
    static func secret(_ raw: String) throws(ResourceError) -> String {
        guard raw.hasPrefix("whsec_"), let key = Data(base64Encoded: String(raw.dropFirst(6))), (24...64).contains(key.count) else {
            throw invalid("invalid_secret", "secret must be whsec_ followed by the base64 of 24 to 64 bytes")
        }
        return raw
    }

    static func newSecret() -> String { "whsec_" + Data(SecureRandom.bytes(32)).base64EncodedString() }

    /// Headers Conduit sets itself and a webhook may not replace; so are
    /// every `webhook-*` (Standard Webhooks) and `conduit-*` (the `raw`
    /// format's envelope, docs/DELIVERY.md "Payload formats") name.
    static let reservedHeaders: Set<String> = ["content-type", "host", "content-length", "user-agent", "transfer-encoding", "connection"]

    static func customHeaders(_ headers: [String: String]) throws(ResourceError) -> [String: String] {
        guard headers.count <= 20 else { throw invalid("invalid_custom_headers", "at most 20 custom headers") }
        let token = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        for (name, value) in headers {
            let lower = name.lowercased()
            guard !name.isEmpty, name.utf8.count <= 64, name.utf8.allSatisfy(token.contains) else {
                throw invalid("invalid_custom_headers", "'\(name)' is not a valid header name")
            }
            guard !reservedHeaders.contains(lower), !lower.hasPrefix("webhook-"), !lower.hasPrefix("conduit-") else {
                throw invalid("invalid_custom_headers", "\(name) is set by Conduit and cannot be overridden")
            }
            // Bytes, not Characters: "\r\n" is a single Character that equals neither "\r" nor "\n".
            guard value.utf8.count <= 1024, !value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }) else {
                throw invalid("invalid_custom_headers", "the value of \(name) must be at most 1024 bytes on one line")
            }
        }
        return headers
    }

    /// Size and nesting are checked by `TemplateShape`'s flat scan before
    /// swift-mustache sees the text: its parser recurses once per nested
    /// section, and a few thousand of them overflow the stack.
    static func payloadTemplate(_ raw: String) throws(ResourceError) -> String? {
        if raw.isEmpty { return nil }
        guard raw.utf8.count <= TemplateLimits.maxBytes else {
            throw invalid("invalid_payload_template", "payload_template must be at most \(TemplateLimits.maxBytes / 1024) KiB")
        }
        let shape = TemplateShape.scan(raw)
        guard shape.depth <= TemplateLimits.maxDepth else {
            throw invalid("invalid_payload_template", "payload_template nests sections deeper than \(TemplateLimits.maxDepth)")
        }
        if let malformed = shape.malformed {
            throw invalid("invalid_payload_template", "payload_template is not a valid Mustache template: \(malformed)")
        }
        do {
            _ = try MustacheTemplate(string: raw)
        } catch {
            throw invalid("invalid_payload_template", "payload_template is not a valid Mustache template: \(error)")
        }
        return raw
    }

    static func payloadFormat(_ raw: String) throws(ResourceError) -> Webhook.PayloadFormat {
        guard let format = Webhook.PayloadFormat(rawValue: raw) else {
            throw invalid("invalid_payload_format", "payload_format must be json, json_raw or raw")
        }
        return format
    }

    static func dmarcEnforcement(_ raw: String) throws(ResourceError) -> SMTPSecurityPolicy.DMARCEnforcement {
        guard let value = SMTPSecurityPolicy.DMARCEnforcement(rawValue: raw) else {
            throw invalid("invalid_dmarc_enforcement", "dmarc_enforcement must be off or reject")
        }
        return value
    }

    /// The smallest and largest `max_payload_bytes` (null = unlimited).
    public static let maxPayloadBytesRange = 65_536...1_073_741_824

    static func maxPayloadBytes(_ value: Int?) throws(ResourceError) -> Int? {
        guard let value else { return nil }
        guard maxPayloadBytesRange.contains(value) else {
            throw invalid("invalid_max_payload_bytes", "max_payload_bytes must be null (unlimited) or 65536 to 1073741824")
        }
        return value
    }

    /// A template renders the JSON payload's data, so it only goes with `json`.
    static func checkTemplateFormat(_ webhook: Webhook) throws(ResourceError) {
        if webhook.payloadTemplate != nil, webhook.payloadFormat != .json {
            throw invalid("invalid_payload_format", "payload_template can only be used with payload_format json")
        }
    }

    static func rateLimit(_ value: Int) throws(ResourceError) -> Int {
        guard (0...100_000).contains(value) else { throw invalid("invalid_rate_limit", "rate_limit must be 0 (unlimited) to 100000 per minute") }
        return value
    }
}
