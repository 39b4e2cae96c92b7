import Testing
@testable import ConduitSMTP

@Suite struct SMTPClientTests {
    @Test func dotStuffingAndLineEnds() {
        #expect(SMTPClient.dotStuffed("a\r\n.b\r\n..c\nd") == "a\r\n..b\r\n...c\r\nd\r\n")
        #expect(SMTPClient.dotStuffed("one\r\n") == "one\r\n")
        #expect(SMTPClient.dotStuffed(".\r\n") == "..\r\n")
    }
}
