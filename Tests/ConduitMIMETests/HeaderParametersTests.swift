import Testing
@testable import ConduitMIME

/// Content-Type / Content-Disposition parameters, RFC 2231 included.
@Suite struct HeaderParametersTests {
    @Test func plainParameters() {
        let parameters = HeaderParameters("Text/HTML; charset=\"UTF-8\" ; format=flowed (comment); name=\"a \\\"b\\\".txt\"")
        #expect(parameters.value == "text/html")
        #expect(parameters.parameters["charset"] == "UTF-8")
        #expect(parameters.parameters["format"] == "flowed")
        #expect(parameters.parameters["name"] == "a \"b\".txt")
    }

    @Test func continuations() {
        let parameters = HeaderParameters("attachment; filename*0=\"long \"; filename*1=\"name\"; filename*2=.txt")
        #expect(parameters.value == "attachment")
        #expect(parameters.parameters["filename"] == "long name.txt")
    }

    @Test func charsetAndLanguage() {
        #expect(HeaderParameters("attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf").parameters["filename"] == "résumé.pdf")
        #expect(HeaderParameters("attachment; filename*=iso-8859-1'fr'r%E9sum%E9.pdf").parameters["filename"] == "résumé.pdf")
        #expect(HeaderParameters("a; title*0*=us-ascii'en'This%20is%20; title*1*=%2A%2A%2Afun%2A%2A%2A; title*2=\" isn't it\"").parameters["title"]
            == "This is ***fun*** isn't it")
    }

    @Test func quotedExtendedValue() {
        let parameters = HeaderParameters("multipart/signed; boundary*=\"ansi-x3.4-1968''EeQf\"; protocol*=ansi-x3.4-1968''application%2Fpgp-signature")
        #expect(parameters.parameters["boundary"] == "EeQf")
        #expect(parameters.parameters["protocol"] == "application/pgp-signature")
    }

    @Test func extendedWinsOverPlain() {
        #expect(HeaderParameters("a; filename=\"plain.txt\"; filename*=utf-8''%C3%A9.txt").parameters["filename"] == "é.txt")
    }

    @Test func gapEndsContinuation() {
        #expect(HeaderParameters("a; n*0=one; n*2=three").parameters["n"] == "one")
    }

    @Test func encodedWordInValue() {
        #expect(HeaderParameters("a; name=\"=?utf-8?b?w6kudHh0?=\"").parameters["name"] == "é.txt")
    }

    @Test func junkIsSkipped() {
        let parameters = HeaderParameters("multipart/mixed;; junk; boundary=\"abc\"; =x; unterminated=\"to the end")
        #expect(parameters.parameters["boundary"] == "abc")
        #expect(parameters.parameters["unterminated"] == "to the end")
    }
}
