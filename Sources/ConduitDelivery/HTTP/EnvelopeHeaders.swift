import ConduitCore

/// The SMTP envelope as HTTP headers, for the `raw` format, whose body is
/// the message itself and has no room for it (docs/DELIVERY.md, "Payload
/// formats"): `conduit-mail-from`, `conduit-rcpt-to`, `conduit-remote-ip`,
/// `conduit-spf`.
///
/// Every value is percent-encoded (`HeaderValue.encode`): an SMTPUTF8
/// address is UTF-8, and a header value must not carry CR, LF, NUL or other
/// controls, and should not carry non-ASCII bytes, which HTTP leaves to
/// each implementation to read (RFC 9110 §5.5).
enum EnvelopeHeaders {
    /// `conduit-spf` when SPF was not evaluated (no policy asked for it):
    /// RFC 7208's "no result". `auth.spf.result` of the JSON payload is
    /// `null` then, which tells the two apart.
    static let spfNotChecked = "none"

    /// The headers in sending order.
    /// - Parameters:
    ///   - mailFrom: MAIL FROM without brackets; `""` for the null sender, sent as an empty value.
    ///   - remoteIP: the SMTP client's address; `nil` (a simulation) is an empty value.
    ///   - spfResult: the RFC 7208 result name; `nil` when SPF was not evaluated.
    static func headers(mailFrom: String, rcptTo: String, remoteIP: String?, spfResult: String?) -> [(String, String)] {
        [
            ("conduit-mail-from", HeaderValue.encode(mailFrom)),
            ("conduit-rcpt-to", HeaderValue.encode(rcptTo)),
            ("conduit-remote-ip", HeaderValue.encode(remoteIP ?? "")),
            ("conduit-spf", HeaderValue.encode(spfResult ?? spfNotChecked)),
        ]
    }
}

/// A header value that is printable ASCII whatever the text: UTF-8, each
/// byte outside `!`…`~` (so space, controls, DEL and every non-ASCII byte)
/// and `%` itself as `%XX` (upper-case hex), everything else as it is — the
/// percent-encoding of RFC 3986 §2.1 over the UTF-8 bytes. A receiver
/// decodes it with a plain percent-decoder (`urllib.parse.unquote`,
/// `decodeURIComponent`); `+` stays `+`, so not a form decoder.
enum HeaderValue {
    private static let hex = Array("0123456789ABCDEF".utf8)

    static func encode(_ text: String) -> String {
        let utf8 = text.utf8
        // The common case, an ASCII address: no copy byte by byte.
        if utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "%") }) { return text }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count * 3)
        for byte in utf8 {
            if byte > 0x20, byte < 0x7F, byte != UInt8(ascii: "%") {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension EnvelopeHeaders {
    /// The headers of a spooled message's delivery to `rcptTo`.
    static func headers(of message: SpooledMessage, rcptTo: String) -> [(String, String)] {
        headers(mailFrom: message.mailFrom, rcptTo: rcptTo, remoteIP: message.remoteIP, spfResult: message.spf?.result)
    }
}

extension Webhook.PayloadFormat {
    /// The POST's `content-type`.
    var contentType: String {
        self == .raw ? WebhookRequest.messageContentType : WebhookRequest.jsonContentType
    }
}
