import Testing
@testable import ConduitSMTP

@Suite struct SMTPPathParserTests {
    static func parse(_ argument: String, _ prefix: String = "FROM:") -> SMTPPathParser.Parsed? {
        try? SMTPPathParser.parse(argument, prefix: prefix)
    }

    @Test func mailboxesAndParameters() throws {
        let parsed = try #require(Self.parse("FROM:<a.b+c@Example.ORG> SIZE=100 body=8bitmime SMTPUTF8"))
        #expect(parsed.mailbox == SMTPMailbox(localPart: "a.b+c", domain: "Example.ORG"))
        #expect(parsed.parameters.map(\.keyword) == ["SIZE", "BODY", "SMTPUTF8"])
        #expect(parsed.parameters.map(\.value) == ["100", "8bitmime", nil])
        #expect(Self.parse("from: <>")?.mailbox == nil)
        #expect(Self.parse("FROM:<>") != nil)
        #expect(Self.parse("TO:<\"odd >@\\\"local\"@example.org>", "TO:")?.mailbox?.localPart == "\"odd >@\\\"local\"")
        #expect(Self.parse("TO:<@a.example,@b.example:u@c.example>", "TO:")?.mailbox == SMTPMailbox(localPart: "u", domain: "c.example"))
        #expect(Self.parse("TO:<u@[192.0.2.1]>", "TO:")?.mailbox?.domain == "[192.0.2.1]")
        #expect(Self.parse("TO:<jörg@bücher.example>", "TO:")?.mailbox?.isInternationalized == true)
    }

    @Test func malformedPathsAreRefused() {
        for bad in ["FROM:a@b.example", "FROM:<a@b.example", "FROM:<a@b.example>x", "FROM:<@b.example>", "FROM:<a@>",
                    "FROM:<a..b@c.example>", "FROM:<.a@c.example>", "FROM:<a@-c.example>", "FROM:<a@c..example>",
                    "FROM:<a b@c.example>", "FROM:<a@b.example> SIZE=", "FROM:<a@b.example> =1", "TO:<a@b.example>",
                    "FROM:<a<b@c.example>", "FROM:<\"unterminated@c.example>"] {
            #expect(Self.parse(bad) == nil, "\(bad)")
        }
    }
}
