import ConduitCore
import ConduitMIME
import Foundation
import Testing
@testable import ConduitDelivery

/// Issue 12 item 1: a template's rendering is bounded (section iterations
/// and output), and what stays inside the budget renders as before.
@Suite struct TemplateBudgetTests {
    /// A message with `count` header fields (plus From, To, Subject).
    static func message(headers count: Int, text: String = "Body") -> ParsedMessage {
        let extra = (0..<count).map { "X-Filler-\($0): v\($0)\r\n" }.joined()
        return MIMEParser.parse(Array("From: q@example.org\r\nTo: a@x.example, b@x.example\r\nSubject: hi\r\n\(extra)\r\n\(text)\r\n".utf8))
    }

    let context = PayloadContext(id: "m1", webhookID: "w1", mailFrom: "q@example.org", rcptTo: "a@x.example")

    static func nested(_ name: String, depth: Int, inner: String = "x") -> String {
        String(repeating: "{{#\(name)}}", count: depth) + inner + String(repeating: "{{/\(name)}}", count: depth)
    }

    func render(_ message: ParsedMessage, _ template: String, budget: RenderBudget? = nil) throws -> String {
        String(decoding: try PayloadRenderer.renderNow(message: message, context: context, template: template, budget: budget), as: UTF8.self)
    }

    // 13 headers, 8 deep: 13^8 ≈ 8·10^8 passes without a budget, far past the
    // limit; the budget's error is what proves the stop. (A 5 s wall-clock
    // bound here measured the machine's load, not the budget.)
    @Test(.timeLimit(.minutes(1))) func eightNestedHeaderSectionsStopAtTheBudgetQuickly() throws {
        let message = Self.message(headers: 10)
        let error = try #require(throws: TemplateRenderError.self) {
            try render(message, Self.nested("headers", depth: 8))
        }
        #expect(error.description.contains("exceeded its render budget"))
    }

    @Test func iterationsPastTheLimitFail() throws {
        // A flat template: 2,000 sections over 13 headers are 26,000 passes
        // of an empty body, no output to speak of.
        let template = String(repeating: "{{#headers}}{{/headers}}", count: 2000)
        let message = Self.message(headers: 10)
        let roomy = RenderBudget(maxIterations: 100_000, maxOutputBytes: 1 << 30)
        #expect(try render(message, template, budget: roomy).isEmpty)
        let tight = RenderBudget(maxIterations: 20_000, maxOutputBytes: 1 << 30)
        let error = try #require(throws: TemplateRenderError.self) { try render(message, template, budget: tight) }
        #expect(error == .iterations(20_000))
        #expect(error.description == "payload_template exceeded its render budget: more than 20000 section iterations")
    }

    @Test func outputPastTheLimitFails() throws {
        // Each pass renders the ~100 KB text: 13 passes are over 1.3 MB.
        let message = Self.message(headers: 10, text: String(repeating: String(repeating: "a", count: 70) + "\r\n", count: 1500))
        let template = "{{#headers}}{{text}}{{/headers}}"
        let error = try #require(throws: TemplateRenderError.self) {
            try render(message, template, budget: RenderBudget(maxIterations: 100_000, maxOutputBytes: 1_000_000))
        }
        #expect(error == .output(1_000_000))
        #expect(try render(message, template, budget: RenderBudget(maxIterations: 100_000, maxOutputBytes: 2_000_000)).utf8.count > 1_300_000)
    }

    @Test func theDefaultBudgetAllowsTwiceTheDefaultBodyPlusOneMiB() {
        let budget = RenderBudget.forDefaultBody(bytes: 10_000)
        #expect(budget.maxIterations == 100_000)
        #expect(budget.maxOutputBytes == 20_000 + 1_048_576)
    }

    @Test func aTemplateEchoingEveryFieldTwiceFitsTheDefaultBudget() throws {
        let message = Self.message(headers: 10, text: String(repeating: String(repeating: "long text ", count: 7) + "\r\n", count: 7000))
        let template = "{{{.}}}{{{.}}}"
        let body = try render(message, template)
        #expect(body.utf8.count > 1_000_000)
    }

    @Test func aPassIsChargedTheBodyOfTheSectionsNamingItsListOnly() throws {
        // 6 KB of text wrapped around a list section, 200 headers: charging
        // every pass the longest body (the wrapper's) would count 1.2 MB;
        // the real body is about 10 KB.
        let message = Self.message(headers: 200)
        let filler = String(repeating: "f", count: 6000)
        let template = "{{#envelope}}\(filler)[{{#headers}}\"{{name}}\",{{/headers}}]{{/envelope}}"
        let body = try render(message, template)
        #expect(body.hasPrefix(filler + "[\"From\","))
        #expect(body.utf8.count < 20_000)
    }

    @Test func aTemplateNestedTooDeeplyIsNotParsed() throws {
        // Saved before the checks existed: refused, not a stack overflow.
        let error = try #require(throws: TemplateRenderError.self) {
            try render(Self.message(headers: 0), Self.nested("a", depth: 5000))
        }
        #expect(error.description.contains("cannot be rendered"))
    }

    @Test func valuesTransformsAndListsRenderAsBefore() throws {
        let message = Self.message(headers: 1)
        #expect(try render(message, "{{count(to)}} {{uppercased(subject)}} {{#first(to)}}{{address}}{{/first(to)}}") == "2 HI a@x.example")
        #expect(try render(message, "{{#reversed(to)}}{{address}};{{/reversed(to)}}") == "b@x.example;a@x.example;")
        #expect(try render(message, "{{#to}}{{address}}{{^last()}},{{/last()}}{{/to}}") == "a@x.example,b@x.example")
        #expect(try render(message, "{{#envelope}}{{mail_from}}|{{subject}}{{/envelope}}") == "q@example.org|hi")
        #expect(try render(message, "{{#rcpt_to}}{{.}}{{/rcpt_to}}{{^cc}}no cc{{/cc}}") == "no cc")
        #expect(try render(message, "{{#envelope.tls}}tls{{/envelope.tls}}{{^envelope.tls}}plain{{/envelope.tls}}") == "plain")
        #expect(try render(message, #"{{{from}}}"#) == #"{"name":null,"address":"q@example.org"}"#)
        #expect(try render(message, #"{{#enumerated(from)}}{{key}}={{value}};{{/enumerated(from)}}"#) == "address=q@example.org;")
    }

    @Test func renderRunsOnTheRenderThreads() async throws {
        let message = Self.message(headers: 1)
        let body = try await PayloadRenderer.render(message: message, context: context, template: "{{subject}}")
        #expect(String(decoding: body, as: UTF8.self) == "hi")
        await #expect(throws: TemplateRenderError.self) {
            try await PayloadRenderer.render(message: Self.message(headers: 10), context: context, template: Self.nested("headers", depth: 8))
        }
    }
}
