import Hummingbird
import Testing
@testable import ConduitAPI

/// The headers a payload link answers with (docs/DELIVERY.md, "Payloads
/// sized to the receiver"): RFC 6266/8187 file names that no attachment
/// name can break out of, and only well-formed media types.
@Suite struct PayloadLinksControllerTests {
    typealias Controller = PayloadLinksController<BasicRequestContext>

    @Test func plainNamesAreQuotedAsTheyAre() {
        #expect(Controller.contentDisposition(filename: "report 2026.pdf") == #"attachment; filename="report 2026.pdf""#)
        #expect(Controller.contentDisposition(filename: "a;b,c=d.txt") == #"attachment; filename="a;b,c=d.txt""#)
        #expect(Controller.contentDisposition(filename: nil) == "attachment")
        #expect(Controller.contentDisposition(filename: "") == "attachment")
    }

    @Test func otherNamesGetAnASCIIFallbackAndAnRFC8187Form() {
        #expect(Controller.contentDisposition(filename: "résumé ✓.txt")
            == "attachment; filename=\"r_sum_ _.txt\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%E2%9C%93.txt")
        // Quotes, backslashes and line breaks never reach the header as they are.
        let hostile = "x\"\r\nSet-Cookie: a=b\\.txt"
        let header = Controller.contentDisposition(filename: hostile)
        #expect(!header.contains("\r") && !header.contains("\n"))
        #expect(header.hasPrefix(#"attachment; filename="x___Set-Cookie: a=b_.txt"; filename*=UTF-8''x%22%0D%0ASet-Cookie%3A%20a%3Db%5C.txt"#))
        #expect(header.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F })
    }

    @Test func onlyWellFormedMediaTypesAreSent() {
        #expect(Controller.contentType("application/pdf") == "application/pdf")
        #expect(Controller.contentType("image/svg+xml") == "image/svg+xml")
        for bad in ["", "text", "text/", "/plain", "text/plain; charset=x", "text/html\r\nX: y", "a/b/c", "tëxt/plain"] {
            #expect(Controller.contentType(bad) == "application/octet-stream", "\(bad)")
        }
    }
}
