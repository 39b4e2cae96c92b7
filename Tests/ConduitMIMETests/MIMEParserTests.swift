import ConduitMIME
import Foundation
import Testing

/// The parser as a whole: body choice, attachments, defects.
@Suite struct MIMEParserTests {
    private func parse(_ text: String) -> ParsedMessage { MIMEParser.parse(Array(text.utf8)) }

    @Test func headersAndAddresses() {
        let message = parse("From: =?utf-8?q?J=C3=BCrgen?= <j@example.com>, other@example.com\r\nTo: a@x.org,\r\n b@x.org\r\nSubject: Hello\r\n  folded\r\nMessage-ID:  <id@x>\r\nDate: Tue, 01 Apr 2025 12:00:00 +0200\r\n\r\nbody\r\n")
        #expect(message.from == MailAddress(name: "Jürgen", address: "j@example.com"))
        #expect(message.to.map(\.address) == ["a@x.org", "b@x.org"])
        #expect(message.subject == "Hello  folded")
        #expect(message.messageID == "<id@x>")
        #expect(message.dateHeader == "Tue, 01 Apr 2025 12:00:00 +0200")
        #expect(message.date == Date(timeIntervalSince1970: 1_743_501_600))
        #expect(message.headers.first == MessageHeader(name: "From", value: "Jürgen <j@example.com>, other@example.com"))
        #expect(message.text == "body\n")
        #expect(message.html == nil)
        #expect(message.attachments.isEmpty)
        #expect(message.defects.isEmpty)
    }

    @Test func alternativeAndAttachment() {
        let message = parse("""
            Content-Type: multipart/mixed; boundary=o\r
            \r
            --o\r
            Content-Type: multipart/alternative; boundary=a\r
            \r
            --a\r
            Content-Type: text/plain\r
            \r
            plain\r
            --a\r
            Content-Type: text/html\r
            \r
            <b>html</b>\r
            --a--\r
            --o\r
            Content-Type: text/plain; name=notes.txt\r
            Content-Disposition: attachment\r
            Content-ID: <n@x>\r
            \r
            notes\r
            --o--\r

            """)
        #expect(message.text == "plain")
        #expect(message.html == "<b>html</b>")
        #expect(message.attachments == [MessageAttachment(filename: "notes.txt", contentType: "text/plain", contentID: "<n@x>", disposition: "attachment", content: Array("notes".utf8))])
        #expect(message.defects.isEmpty)
    }

    @Test func attachedTextIsNoBody() {
        let message = parse("Content-Type: text/plain\r\nContent-Disposition: attachment; filename=a.txt\r\n\r\nx")
        #expect(message.text == nil)
        #expect(message.attachments.map(\.filename) == ["a.txt"])
    }

    @Test func secondTextPartIsAnAttachment() {
        let message = parse("Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\n\ntwo\n--b--\n")
        #expect(message.text == "one")
        #expect(message.attachments.map(\.content) == [Array("two".utf8)])
    }

    @Test func digestPartsDefaultToMessage() {
        let message = parse("Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: inner\n\nhi\n--d--\n")
        #expect(message.attachments.map(\.contentType) == ["message/rfc822"])
        #expect(message.attachments.first?.content == Array("Subject: inner\n\nhi".utf8))
    }

    @Test func relatedUsesTheStartPart() {
        let message = parse("Content-Type: multipart/related; boundary=r; start=\"<two>\"\n\n--r\nContent-Type: text/html\nContent-ID: <one>\n\nfirst\n--r\nContent-Type: text/html\nContent-ID: <two>\n\nsecond\n--r--\n")
        #expect(message.html == "second")
    }

    @Test func boundaryWithTrailingBlanksAndLookalikes() {
        let message = parse("Content-Type: multipart/mixed; boundary=b\n\n--b \t\n\nreal\n--bb\nnot a delimiter\n--b-- \n")
        #expect(message.text == "real\n--bb\nnot a delimiter")
    }

    @Test func crlfBecomesLF() {
        #expect(parse("Subject: x\r\n\r\nline 1\r\nline 2\rline 3").text == "line 1\nline 2\nline 3")
    }

    @Test func emptyInput() {
        let message = MIMEParser.parse([])
        #expect(message.size == 0)
        #expect(message.text == "")
        #expect(message.headers.isEmpty)
    }

    @Test func defectsAreReported() {
        #expect(parse("Content-Type: multipart/mixed; boundary=x\n\n--x\n\na\n").defects == ["close boundary of multipart/mixed not found"])
        #expect(parse("Content-Type: multipart/mixed\n\nx").defects == ["multipart without boundary; kept as one part"])
        #expect(parse("Content-Type: text/plain; charset=x-nope\n\nx").defects == ["unknown charset x-nope; read as UTF-8"])
        #expect(parse("Subject: a\nnot a header\n").defects == ["missing header/body separator"])
    }
}
