import Testing
@testable import ConduitMIME

/// Quoted-printable and base64 bodies.
@Suite struct TransferEncodingTests {
    private func qp(_ text: String) -> String {
        String(decoding: TransferEncoding.quotedPrintable(Array(text.utf8)), as: UTF8.self)
    }

    private func base64(_ text: String) -> ([UInt8], [String]) {
        var defects: [String] = []
        let bytes = TransferEncoding.base64(Array(text.utf8), defects: &defects)
        return (bytes, defects)
    }

    @Test func quotedPrintableSoftBreaks() {
        #expect(qp("soft=\r\nbreak") == "softbreak")
        #expect(qp("soft=\nbreak") == "softbreak")
        #expect(qp("soft= \t\r\nbreak") == "softbreak")
        #expect(qp("end=") == "end")
        #expect(qp("hard\r\nbreak") == "hard\r\nbreak")
    }

    @Test func quotedPrintableEscapes() {
        #expect(qp("=C3=BC=c3=bc") == "üü")
        #expect(qp("a=3Db") == "a=b")
        #expect(qp("bad =ZZ and =4") == "bad =ZZ and =4")
        #expect(qp("trailing  \nblanks") == "trailing  \nblanks")
    }

    @Test func base64Tolerates() {
        #expect(base64("aGVs\r\nbG8=\r\n").0 == Array("hello".utf8))
        #expect(base64("aGVsbG8").0 == Array("hello".utf8))
        #expect(base64("aGVsbA").0 == Array("hell".utf8))
        #expect(base64("YQ==YQ==").0 == Array("a".utf8))
        let (bytes, defects) = base64("aGV!!sbG8*=")
        #expect(bytes == Array("hello".utf8))
        #expect(defects == ["base64 contains characters outside the alphabet"])
        #expect(base64("aGVsb").1.contains("base64 ends in a lone character"))
        #expect(base64("").0.isEmpty)
    }

    @Test func unknownEncodingsLeaveBytes() {
        var defects: [String] = []
        #expect(TransferEncoding.decode(Array("x=41".utf8), name: "8bit", defects: &defects) == Array("x=41".utf8))
        #expect(TransferEncoding.decode(Array("x=41".utf8), name: " Quoted-Printable ", defects: &defects) == Array("xA".utf8))
    }
}
