import Testing
@testable import ConduitSMTP

@Suite struct SMTPCommandTests {
    @Test func splitsVerbAndArgument() {
        let command = SMTPCommand(line: Array("mail FROM:<a@b.c> SIZE=10".utf8))
        #expect(command?.verb == "MAIL")
        #expect(command?.argument == "FROM:<a@b.c> SIZE=10")
        #expect(SMTPCommand(line: Array("QUIT".utf8))?.argument == "")
    }

    @Test(arguments: ["", "   ", "EHLO a\nb", "NOOP\r", "NO\u{0}OP", "\u{7F}", "1234", "ÉHLO x", String(repeating: "A", count: 17)])
    func refusesNonCommands(_ text: String) {
        #expect(SMTPCommand(line: Array(text.utf8)) == nil)
    }

    @Test func refusesInvalidUTF8() {
        #expect(SMTPCommand(line: [0x45, 0x48, 0x4C, 0x4F, 0x20, 0xFF]) == nil)
    }
}
