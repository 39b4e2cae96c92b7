import ConduitCore
import ConduitMIME
import Foundation

/// One field where this parser and Python's email package disagree.
struct CorpusDifference {
    var field: String
    var detail: String
}

/// Compares a `ParsedMessage` with mime-oracle.py's summary of the same message.
enum CorpusComparison {
    static func differences(oracle: [String: Any], ours: ParsedMessage) -> [CorpusDifference] {
        var out: [CorpusDifference] = []
        func check(_ field: String, _ expected: Any?, _ actual: Any?) {
            let a = describe(expected)
            let b = describe(actual)
            if a != b { out.append(CorpusDifference(field: field, detail: "python \(a.prefix(300)) / ours \(b.prefix(300))")) }
        }
        check("subject", oracle["subject"], ours.subject)
        check("message_id", oracle["message_id"], ours.messageID)
        if let date = oracle["date_utc"] as? String {
            check("date", date, ours.date.map(MailDate.rfc3339))
        }
        for (field, mine) in [("from", ours.from.map { [$0] } ?? []), ("to", ours.to), ("cc", ours.cc), ("reply_to", ours.replyTo)] {
            let list: [[String: Any]]
            if let parsed = oracle[field] as? [[String: Any]] {
                list = parsed
            } else if oracle[field] == nil || oracle[field] is NSNull {
                list = []
            } else {
                continue  // Python could not parse the header at all
            }
            let expected = (field == "from" ? Array(list.prefix(1)) : list).map { address($0["name"] as? String, $0["address"] as? String ?? "") }
            check(field, expected, mine.map { address($0.name, $0.address) })
        }
        check("text", oracle["text"], ours.text)
        check("html", oracle["html"], ours.html)
        let theirs = oracle["attachments"] as? [[String: Any]] ?? []
        if theirs.count != ours.attachments.count {
            check("attachments", theirs.map { $0["content_type"] }, ours.attachments.map(\.contentType))
        } else {
            for (index, (python, mine)) in zip(theirs, ours.attachments).enumerated() {
                check("attachments[\(index)].filename", python["filename"], mine.filename)
                check("attachments[\(index)].content_type", python["content_type"], mine.contentType)
                check("attachments[\(index)].disposition", python["disposition"], mine.disposition)
                check("attachments[\(index)].content_id", python["content_id"], mine.contentID)
                check("attachments[\(index)].size", python["size"], mine.size)
                check("attachments[\(index)].sha256", python["sha256"], hex(SHA256.hash(mine.content)))
            }
        }
        // Python re-renders structured fields (addresses, dates, MIME
        // parameters); `headers` keeps what the sender wrote, decoded. So
        // names are compared everywhere, values of unstructured fields only.
        let theirHeaders = oracle["headers"] as? [[String]] ?? []
        check("header names", theirHeaders.map { $0.first ?? "" }, ours.headers.map(\.name))
        func unstructured(_ name: String) -> Bool { !structured.contains(name.lowercased()) }
        check(
            "header values",
            theirHeaders.filter { unstructured($0.first ?? "") }.map { $0.joined(separator: ": ") },
            ours.headers.filter { unstructured($0.name) }.map { "\($0.name): \($0.value)" }
        )
        return out
    }

    /// The fields Python's `policy.default` parses and re-renders.
    static let structured: Set<String> = [
        "from", "to", "cc", "bcc", "sender", "reply-to", "resent-from", "resent-to", "resent-cc", "resent-bcc",
        "resent-sender", "date", "resent-date", "orig-date", "content-type", "content-disposition",
        "content-transfer-encoding", "mime-version", "message-id",
    ]

    private static func address(_ name: String?, _ address: String) -> String {
        "\(name ?? "") <\(address)>"
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// A comparable rendering; `nil`, `NSNull` and an empty name are alike.
    private static func describe(_ value: Any?) -> String {
        switch value {
        case nil: return "null"
        case is NSNull: return "null"
        case let string as String: return string.debugDescription
        case let number as Int: return String(number)
        case let number as NSNumber: return number.stringValue
        case let list as [Any]: return "[" + list.map(describe).joined(separator: ", ") + "]"
        default: return "\(value!)"
        }
    }
}
