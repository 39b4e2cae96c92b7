import Testing
@testable import ConduitMIME

/// RFC 5322 address lists.
@Suite struct AddressListTests {
    private func parse(_ text: String) -> [MailAddress] { AddressList.parse(text) }

    @Test func simpleForms() {
        #expect(parse("jane@example.com") == [MailAddress(name: nil, address: "jane@example.com")])
        #expect(parse("Jane Doe <jane@example.com>") == [MailAddress(name: "Jane Doe", address: "jane@example.com")])
        #expect(parse("<jane@example.com>") == [MailAddress(name: nil, address: "jane@example.com")])
        #expect(parse("a@x.org, b@y.org ,c@z.org") .map(\.address) == ["a@x.org", "b@y.org", "c@z.org"])
    }

    @Test func quotedNames() {
        #expect(parse("\"Doe, Jane\" <jane@example.com>, \"\\\"Q\\\" Bob\" <bob@example.com>") == [
            MailAddress(name: "Doe, Jane", address: "jane@example.com"),
            MailAddress(name: "\"Q\" Bob", address: "bob@example.com"),
        ])
        #expect(parse("John Q. Public <jqp@example.com>").first?.name == "John Q. Public")
    }

    @Test func comments() {
        #expect(parse("jane@example.com (Jane Doe)") == [MailAddress(name: nil, address: "jane@example.com")])
        #expect(parse("Jane (the (nested) boss) <jane(c)@example.com>") == [MailAddress(name: "Jane", address: "jane@example.com")])
    }

    @Test func groups() {
        #expect(parse("undisclosed-recipients:;").isEmpty)
        #expect(parse("Team: a@x.org, \"B\" <b@x.org>;, c@y.org").map(\.address) == ["a@x.org", "b@x.org", "c@y.org"])
    }

    @Test func encodedNames() {
        #expect(parse("=?utf-8?q?J=C3=BCrgen?= =?utf-8?q?_M=C3=BCller?= <jm@example.com>").first?.name == "Jürgen Müller")
        #expect(parse("\"=?iso-8859-1?q?Andr=E9?=\" <a@example.com>").first?.name == "André")
    }

    @Test func obsoleteAndOdd() {
        #expect(parse("<@relay.example:jane@example.com>").first?.address == "jane@example.com")
        #expect(parse("\"john smith\"@example.com").first?.address == "\"john smith\"@example.com")
        #expect(parse("\"john\"@example.com").first?.address == "john@example.com")
        #expect(parse("jane@[192.0.2.1]").first?.address == "jane@[192.0.2.1]")
        #expect(parse("").isEmpty)
        #expect(parse(",,;<>").isEmpty)
        #expect(parse("Unclosed <jane@example.com").first == MailAddress(name: "Unclosed", address: "jane@example.com"))
    }
}

extension AddressListTests {
    @Test func unclosedComment() {
        #expect(parse("Bad (comment <bad@example.com>") == [MailAddress(name: "Bad ( comment", address: "bad@example.com")])
    }
}

extension AddressListTests {
    /// Found by the fuzz test: a stray ")" once made the tokenizer spin.
    @Test func strayClosingCharacters() {
        #expect(parse("a)b@example.com") == [MailAddress(name: nil, address: "ab@example.com")])
        #expect(parse("x]y <z@example.com>").first?.address == "z@example.com")
    }
}
