import Testing
@testable import ConduitApp

/// `make fuzz` (config target) found that TOMLKit's toml++ aborts the process
/// — `check-config`, or the server on a SIGHUP reload — on a table header
/// whose first key starts with anything but a bare-key character or a quote,
/// and on `}` where an array expects a value (docs/RELIABILITY.md,
/// "Fuzzing"). These ran into the abort before the fix.
@Suite struct TOMLAbortCheckTests {
    @Test(arguments: [
        // The fuzzer's input, shortened: a header of control characters.
        ("[\u{7}\u{7}\u{7}storage]\npath = \"./data\"\n", 1, 2),
        ("[é]\n", 1, 2),
        ("[ é]\n", 1, 3),
        ("[[\té ]]\n", 1, 4),
        ("[=]\n", 1, 2),
        ("[{]\n", 1, 2),
        ("[\n", 1, 2),
        ("[log]\nlevel = \"info\"\n\n  [\u{b}smtp]\n", 4, 4),
        ("# [ok] in a comment\n[@]\n", 2, 2),
        // The fuzzer's fourth input: a byte order mark hid the header from the check.
        ("\u{FEFF}[\u{B1}t]\n", 1, 2),
    ])
    func unsafeHeadersAreSyntaxErrorsNotAborts(text: String, line: Int, column: Int) {
        #expect {
            try ConfigLoader.parse(text, path: "fuzz.toml")
        } throws: { error in
            guard case let .syntax(path, errorLine, errorColumn, message) = error as? ConfigError else { return false }
            return path == "fuzz.toml" && errorLine == line && errorColumn == column && message.contains("table header")
        }
    }

    @Test(arguments: [
        // The fuzzer's second input, minimised.
        ("s=[}\n", 1, 4),
        ("s = [1, }\n", 1, 9),
        ("s = [[}]]\n", 1, 7),
        ("[smtp]\npublic_domains = [\n  \"a.example\",\n}\n", 4, 1),
        ("s = [{}, }\n", 1, 10),
    ])
    func closingBraceInAnArrayIsASyntaxErrorNotAnAbort(text: String, line: Int, column: Int) {
        #expect {
            try ConfigLoader.parse(text, path: "fuzz.toml")
        } throws: { error in
            guard case let .syntax(path, errorLine, errorColumn, message) = error as? ConfigError else { return false }
            return path == "fuzz.toml" && errorLine == line && errorColumn == column && message.contains("inside an array")
        }
    }

    @Test(arguments: [
        // The fuzzer's third input (Fuzz/corpus/config, found at the end of its campaign).
        ("[smtp]\nlcertificate = 1979-05-27T:00Z\n", 2, 27),
        ("d = 1979-05-27t\n", 1, 16),
        ("a = [1979-05-27T]\n", 1, 17),
        ("t = { x = 2024-01-01TZ }\n", 1, 22),
    ])
    func dateWithoutHourAfterTIsASyntaxErrorNotAnAbort(text: String, line: Int, column: Int) {
        #expect {
            try ConfigLoader.parse(text, path: "fuzz.toml")
        } throws: { error in
            guard case let .syntax(path, errorLine, errorColumn, message) = error as? ConfigError else { return false }
            return path == "fuzz.toml" && errorLine == line && errorColumn == column && message.contains("date-time")
        }
    }

    @Test(arguments: [
        "[smtp]\nlisten = \"127.0.0.1:2525\"\n",
        // Dates and date-times as TOML has them; a key may look like a date.
        "d = 1979-05-27T07:32:00Z\ne = 1979-05-27\nf = 1979-05-27 07:32:00\ng = \"1979-05-27T\"\n1979-05-27T = 1\n",
        "[ smtp ]\n[\"log\"]\n['api']\n[[a.b]]\n[]\n[ ]\n",
        // `[` opening nested arrays and inline tables inside a value.
        "x = [\n  [\n    1\n  ],\n  [ {a = 1} ],\n]\n",
        "y = { a = [\n[=]\n] }\n",
        // Inside multi-line strings a line may start with anything.
        "s = \"\"\"\n[é]\n[\n\"\"\"\nt = '''\n[=]\n'''\n",
        "u = \"a \\\" [\" # [\n",
        "v = [ {a = [1]}, {b = {c = 2}} ]\nw = { x = [ {} ] }\n",
    ])
    func validTOMLIsLeftToTheParser(text: String) {
        #expect(TOMLAbortCheck.firstUnsafeSpot(in: text) == nil)
    }
}
