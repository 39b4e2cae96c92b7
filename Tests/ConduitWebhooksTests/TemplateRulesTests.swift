import Mustache
import Testing
@testable import ConduitWebhooks

/// Issue 12 item 1: `payload_template` is at most 64 KiB and nests at most
/// 8 sections, checked by a flat scan before swift-mustache parses it (its
/// parser recurses per section: 5,000 nested ones were a SIGSEGV).
@Suite struct TemplateRulesTests {
    static func nested(_ name: String, depth: Int, open: String = "{{#", close: String = "{{/", end: String = "}}") -> String {
        String(repeating: open + name + end, count: depth) + "x" + String(repeating: close + name + end, count: depth)
    }

    func refusal(_ template: String) -> String? {
        do {
            _ = try FieldRules.payloadTemplate(template)
            return nil
        } catch {
            guard case let .invalid(code, message) = error else { return "\(error)" }
            #expect(code == "invalid_payload_template")
            return message
        }
    }

    @Test func twelveNestedHeaderSectionsAreRefused() {
        // The issue's template: n^12 passes at render time.
        #expect(refusal(Self.nested("headers", depth: 12))?.contains("deeper than 8") == true)
    }

    @Test func fiveThousandNestedSectionsAreRefusedWithoutParsing() {
        let template = Self.nested("a", depth: 5000)
        #expect(template.utf8.count > 40_000 && template.utf8.count <= 65_536)
        #expect(refusal(template)?.contains("deeper than 8") == true)
    }

    @Test func eightNestedSectionsOfEveryKindAreAccepted() {
        #expect(refusal(Self.nested("headers", depth: 8)) == nil)
        #expect(refusal("{{#a}}{{^b}}{{#c}}{{^d}}{{#e}}{{^f}}{{#g}}{{^h}}x{{/h}}{{/g}}{{/f}}{{/e}}{{/d}}{{/c}}{{/b}}{{/a}}") == nil)
        #expect(refusal(#"{"s":"{{subject}}","to":[{{#to}}"{{address}}"{{^last()}},{{/last()}}{{/to}}],"raw":{{{size}}}}"#) == nil)
        #expect(refusal(Self.nested("a", depth: 9))?.contains("deeper than 8") == true)
        #expect(refusal("{{^a}}" + Self.nested("b", depth: 8) + "{{/a}}")?.contains("deeper than 8") == true)
    }

    @Test func longerThan64KiBIsRefused() {
        #expect(refusal(String(repeating: "a", count: 65_536)) == nil)
        #expect(refusal(String(repeating: "a", count: 65_537))?.contains("at most 64 KiB") == true)
    }

    @Test func changedDelimitersDoNotHideNesting() {
        #expect(refusal("{{=<% %>=}}" + Self.nested("a", depth: 9, open: "<%#", close: "<%/", end: "%>"))?.contains("deeper than 8") == true)
        #expect(refusal("{{=<% %>=}}" + Self.nested("a", depth: 8, open: "<%#", close: "<%/", end: "%>")) == nil)
        // Changed back and forth: every delimiter pair is followed.
        let mixed = "{{#a}}{{=[ ]=}}[#b][={{ }}=]{{#c}}{{/c}}{{=[ ]=}}[/b][={{ }}=]{{/a}}"
        let shape = TemplateShape.scan(mixed)
        #expect(shape.depth == 3 && shape.malformed == nil)
        #expect(refusal(mixed) == nil)
    }

    @Test func commentsEndWhereTheParserEndsThem() throws {
        // swift-mustache does not look at a character again after a partial
        // match of the end delimiter: `%%>` does not end a `<% %>` comment,
        // so the `<%/a%>` after it is comment text, not a close. A scan that
        // took it for a close would see depth 1 where the parser recurses 9.
        let hiding = "{{=<% %>=}}" + String(repeating: "<%#a%><%! x%%><%/a%>", count: 9) + "x" + String(repeating: "<%/a%>", count: 9)
        #expect(TemplateShape.scan(hiding).depth == 9)
        #expect(refusal(hiding)?.contains("deeper than 8") == true)
        // The same at a depth the parser accepts: the scan and the parser agree it is valid.
        let accepted = "{{=<% %>=}}" + String(repeating: "<%#a%><%! x%%><%/a%>", count: 3) + "x" + String(repeating: "<%/a%>", count: 3)
        _ = try MustacheTemplate(string: accepted)
        #expect(refusal(accepted) == nil)
    }

    @Test func tagsOfEveryKindAreFollowed() {
        let template = "{{! a {{#comment}} }}{{{raw}}}{{&raw}}{{>partial}}{{%CONTENT_TYPE: TEXT}}{{#a}}{{$block}}d{{/block}}{{/a}}"
        let shape = TemplateShape.scan(template)
        #expect(shape.depth == 2 && shape.malformed == nil)
        #expect(shape.largestSectionBytes == "{{$block}}d{{/block}}".utf8.count)
    }

    @Test func sectionBodiesAreMeasuredByTheKeyTheyLookUp() {
        let shape = TemplateShape.scan("{{#envelope}}wrap{{#a.b.to}}12345{{/a.b.to}}{{#reversed(to)}}1{{/reversed(to)}}{{/envelope}}{{^cc}}no{{/cc}}{{#.}}x{{/.}}")
        #expect(shape.sectionBytesByKey == ["envelope": 66, "to": 5])
        #expect(shape.largestSectionBytes == 66)
    }

    @Test func malformedTemplatesAreRefused() {
        #expect(refusal("{{#a}}x")?.contains("not a valid Mustache template") == true)
        #expect(refusal("{{a")?.contains("not a valid Mustache template") == true)
        #expect(refusal("{{/a}}")?.contains("not a valid Mustache template") == true)
        #expect(refusal("{{=<% =}}")?.contains("not a valid Mustache template") == true)
        #expect(refusal("{{{a}}")?.contains("not a valid Mustache template") == true)
    }
}
