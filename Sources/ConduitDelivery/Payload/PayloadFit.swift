import ConduitCore
import ConduitMIME

/// What a default body over its webhook's `max_payload_bytes` leaves out,
/// in the order of docs/DELIVERY.md, "Payloads sized to the receiver":
/// `raw_base64` becomes `raw_url`, then attachments, largest first, become
/// links (`content_base64` null, `url`), then `text`, `html` and
/// `reply_text` are cut and `truncated: true` is added.
///
/// Planned from lengths alone (the full body's length is its text segments
/// plus each attachment's base64 length, `4 · ⌈size / 3⌉`), so no
/// attachment is read twice; the cut body is then laid out once more and
/// measured exactly.
struct PayloadFit: Sendable, Equatable {
    /// `raw_base64` is replaced by `raw_url`.
    var linksRaw = false
    /// Attachments (indexes in `attachments`) sent as links, in the order chosen.
    var linkedAttachments: [Int] = []
    /// UTF-8 byte counts `text`, `html` and `reply_text` are cut to (`nil`: whole).
    var textBytes: Int?
    var htmlBytes: Int?
    var replyTextBytes: Int?
    /// The body's length with this fit (exact: `PayloadFitTests` compares it with the bytes).
    var length: Int

    var truncated: Bool { textBytes != nil || htmlBytes != nil || replyTextBytes != nil }

    /// `,"truncated":true`, after `size`.
    static let truncatedMember = 17
    /// A link URL's length: the token is `cdl_` and 43 base64url characters, none escaped.
    static func linkLength(base: String, raw: Bool) -> Int {
        JSONEscaping.escapedBytes(base) + (raw ? "/api/v1/messages/".utf8.count + "/raw".utf8.count : "/api/v1/attachments/".utf8.count)
            + PayloadLink.tokenPrefix.utf8.count + SecretToken.randomLength + 2
    }

    /// The full body's parts that a fit can change, and its length.
    struct Measure: Sendable {
        /// The full body's length.
        var length: Int
        /// Decoded size of each attachment (its base64 is `4 · ⌈size / 3⌉`).
        var attachmentSizes: [Int]
        /// Size of the raw message when the body carries `raw_base64` (`json_raw`).
        var rawSize: Int?
        var text: String?
        var html: String?
        var replyText: String?
    }

    /// The smallest cut that brings `measure` within `limit`, or `nil` when
    /// the body fits already. `linkBase` is `[api] public_url`.
    /// - Throws: `PayloadTooLarge` when even with every link and empty
    ///   texts the body is longer than `limit` (the headers alone are).
    static func plan(_ measure: Measure, limit: Int, linkBase: String) throws(PayloadTooLarge) -> PayloadFit? {
        guard measure.length > limit else { return nil }
        var fit = PayloadFit(length: measure.length)
        if let rawSize = measure.rawSize {
            // `"raw_base64":"…"` → `"raw_url":"…"`.
            fit.linksRaw = true
            fit.length += 10 + linkLength(base: linkBase, raw: true) - (15 + base64Length(rawSize))
            if fit.length <= limit { return fit }
        }
        // `"content_base64":"…"` → `"content_base64":null,"url":"…"`; ties keep message order.
        let link = linkLength(base: linkBase, raw: false)
        let bySize = measure.attachmentSizes.indices.sorted { measure.attachmentSizes[$0] > measure.attachmentSizes[$1] }
        for index in bySize {
            let change = 11 + link - (2 + base64Length(measure.attachmentSizes[index]))
            // An attachment shorter than its link stays inline: linking it would not help.
            guard change < 0 else { continue }
            fit.linkedAttachments.append(index)
            fit.length += change
            if fit.length <= limit { return fit }
        }
        // Cut the texts: each gets the same share of what is left, a text shorter than the share stays whole.
        let texts = [measure.text, measure.html, measure.replyText]
        let lengths = texts.map { $0.map(JSONEscaping.escapedBytes) ?? 0 }
        let fixed = fit.length - lengths.reduce(0, +) + truncatedMember
        guard fixed <= limit else { throw PayloadTooLarge(limit: limit, least: fixed) }
        let shares = fairShares(lengths, budget: limit - fixed)
        var cuts: [Int?] = []
        fit.length = fixed
        for (text, share) in zip(texts, shares) {
            guard let text else { cuts.append(nil); continue }
            let cut = JSONEscaping.prefix(of: text, escapedBytes: share)
            cuts.append(cut.utf8Bytes == text.utf8.count ? nil : cut.utf8Bytes)
            fit.length += cut.escapedBytes
        }
        (fit.textBytes, fit.htmlBytes, fit.replyTextBytes) = (cuts[0], cuts[1], cuts[2])
        if !fit.truncated { fit.length -= truncatedMember }
        return fit
    }

    /// Max-min fair shares of `budget` over `lengths`: the largest `s` with
    /// Σ min(length, s) ≤ budget, each getting min(length, s).
    static func fairShares(_ lengths: [Int], budget: Int) -> [Int] {
        var left = max(0, budget)
        var shares = lengths.map { _ in 0 }
        var open = lengths.indices.sorted { lengths[$0] < lengths[$1] }
        while let first = open.first {
            let share = left / open.count
            if lengths[first] <= share {
                shares[first] = lengths[first]
                left -= lengths[first]
                open.removeFirst()
            } else {
                for index in open { shares[index] = share }
                break
            }
        }
        return shares
    }

    static func base64Length(_ size: Int) -> Int { (size + 2) / 3 * 4 }
}

/// The links a fit hands out, with their URLs: what `PayloadJSONWriter` writes in place of content.
struct PayloadCut: Sendable {
    var rawURL: String?
    var attachmentURLs: [Int: String] = [:]
    var text: String?
    var html: String?
    var replyText: String?
    var truncated = false
}

/// Even with every link and empty texts, the body is longer than the webhook's
/// `max_payload_bytes`: the attempt fails for good (nothing is sent).
public struct PayloadTooLarge: Error, CustomStringConvertible, Equatable {
    public var limit: Int
    public var least: Int

    public var description: String {
        "the payload cannot be cut to max_payload_bytes (\(limit)): without attachments, raw message and text it is still \(least) bytes"
    }
}

/// Cuts of strings measured as `JSONValue.writeString` escapes them
/// (`escapedBytes` is `MeteredView`'s).
extension JSONEscaping {
    /// The longest prefix of whole Unicode scalars whose escaped text is at
    /// most `escapedBytes`: its UTF-8 byte count and escaped length.
    static func prefix(of text: String, escapedBytes budget: Int) -> (utf8Bytes: Int, escapedBytes: Int) {
        var bytes = 0
        var escaped = 0
        for scalar in text.unicodeScalars {
            let next = escapedBytes(of: scalar)
            guard escaped + next <= budget else { break }
            escaped += next
            bytes += UTF8.width(scalar)
        }
        return (bytes, escaped)
    }

    /// The text cut to its first `utf8Bytes` bytes (a scalar boundary from `prefix`).
    static func cut(_ text: String, utf8Bytes: Int) -> String {
        String(decoding: text.utf8.prefix(utf8Bytes), as: UTF8.self)
    }

    private static func escapedBytes(of scalar: Unicode.Scalar) -> Int {
        switch scalar.value {
        case 0x22, 0x5C, 0x0A, 0x0D, 0x09: 2
        case 0x00..<0x20, 0x7F, 0x2028, 0x2029: 6
        default: UTF8.width(scalar)
        }
    }
}
