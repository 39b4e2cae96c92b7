import Logging
import Testing
@testable import ConduitApp

@Suite struct ConsoleLogHandlerTests {
    @Test func journalFormatCarriesSyslogPriority() {
        let handler = ConsoleLogHandler(label: "conduit", level: .info, journal: true)
        #expect(handler.format(level: .warning, message: "disk low", metadata: ["free": "10"]) == "<4>conduit: disk low free=10")
        #expect(handler.format(level: .debug, message: "x", metadata: [:]) == "<7>conduit: x")
        #expect(handler.format(level: .critical, message: "x", metadata: [:]) == "<2>conduit: x")
    }

    @Test func terminalFormatHasTimestampAndLevel() {
        let handler = ConduitApp.ConsoleLogHandler(label: "conduit", level: .info, journal: false)
        let line = handler.format(level: .info, message: "hello", metadata: [:], timestamp: "2026-01-01T00:00:00.000Z")
        #expect(line == "2026-01-01T00:00:00.000Z info conduit: hello")
        #expect(ConsoleLogHandler.timestamp().count == 24)
    }

    @Test func oneEventIsAlwaysOneLine() {
        let handler = ConsoleLogHandler(label: "c", level: .info, journal: true)
        let line = handler.format(level: .error, message: "a\nb", metadata: ["k": "x y\nz", "q": "say \"hi\""])
        #expect(!line.contains("\n"))
        #expect(line == #"<3>c: a\nb k="x y\nz" q="say \"hi\"""#)
    }
}

@Suite struct LogInjectionTests {
    /// "\r\n" is a single Swift Character; it must still be escaped.
    @Test func crlfCannotStartANewLogLine() {
        let handler = ConsoleLogHandler(label: "c", level: .info, journal: true)
        let line = handler.format(level: .info, message: "user\r\n<0>forged", metadata: ["k": "a\r\nb"])
        #expect(!line.unicodeScalars.contains("\n") && !line.unicodeScalars.contains("\r"))
        #expect(line == #"<6>c: user\r\n<0>forged k=a\r\nb"#)
    }
}
