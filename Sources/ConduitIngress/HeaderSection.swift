import Foundation
import NIOCore

/// A quick look at a message's header section at ingress (full MIME parsing
/// happens at delivery): the `Message-ID` for log rows, and whether DKIM
/// verification has anything to do.
enum HeaderSection {
    /// The first field called `name` (case-insensitive), unfolded and
    /// trimmed; `nil` when absent. Stops at the end of the header section.
    /// `headerBlock` is the message's header block (`MessageContent.headerBlock`,
    /// always in memory), never the whole message.
    static func value(named name: String, in headerBlock: ByteBufferView) -> String? {
        let prefix = name.lowercased() + ":"
        let prefixLength = prefix.utf8.count
        let bytes = headerBlock
        var lineStart = bytes.startIndex
        var value: [UInt8]?
        var index = bytes.startIndex
        while index < bytes.endIndex {
            guard bytes[index] == UInt8(ascii: "\n") else { index += 1; continue }
            var line = bytes[lineStart..<index]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            if line.isEmpty { break }  // end of the header section
            if line.first == UInt8(ascii: " ") || line.first == UInt8(ascii: "\t") {
                if value != nil { value! += line }
            } else if value != nil {
                break
            } else if line.count >= prefixLength, String(decoding: line.prefix(prefixLength), as: UTF8.self).lowercased() == prefix {
                value = Array(line.dropFirst(prefixLength))
            }
            index += 1
            lineStart = index
        }
        guard let value else { return nil }
        return String(String(decoding: value, as: UTF8.self).trimmingCharacters(in: .whitespaces).prefix(998))
    }
}
