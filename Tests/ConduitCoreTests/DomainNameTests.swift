import ConduitCore
import Testing

@Suite struct DomainNameTests {
    @Test(arguments: [
        ("example.com", "example.com"),
        ("Example.COM.", "example.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("BÜCHER.example", "xn--bcher-kva.example"),
        ("faß.de", "xn--fa-hia.de"), // non-transitional: ß is kept, not mapped to ss
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("mail.例え.jp", "mail.xn--r8jz45g.jp"),
        ("a-b.c-d.example", "a-b.c-d.example"),
    ])
    func normalizes(input: String, expected: String) throws {
        #expect(try DomainName.normalize(input) == expected)
    }

    @Test(arguments: [
        "", ".", "com", "ex_ample.com", "exa mple.com", "-example.com", "example-.com",
        "example..com", "192.168.1.1", "a.\(String(repeating: "b", count: 64)).com",
        String(repeating: "abcdefghi.", count: 26) + "com", "exam\u{0}ple.com", "xn--zz.com",
    ])
    func rejects(input: String) {
        #expect(throws: DomainNameError.self) { try DomainName.normalize(input) }
    }
}
