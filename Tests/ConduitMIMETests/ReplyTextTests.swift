import Foundation
import Testing
import ConduitMIME

/// `reply_text`: the new text of a reply.
@Suite struct ReplyTextTests {
    @Test func gmailAttribution() {
        let text = "Sounds good.\n\nOn Mon, 3 Mar 2025 at 14:15, Jane Doe <jane@example.com> wrote:\n> Lunch?\n> Jane\n"
        #expect(ReplyText.extract(text) == "Sounds good.")
    }

    @Test func wrappedAttribution() {
        let text = "Yes.\n\nOn Mon, 3 Mar 2025 at 14:15, Jane Doe\n<jane@example.com> wrote:\n\n> Lunch?\n"
        #expect(ReplyText.extract(text) == "Yes.")
    }

    @Test func otherLanguages() {
        #expect(ReplyText.extract("Ja.\n\nAm 03.03.2025 um 14:15 schrieb Jane Doe <jane@example.com>:\n> x") == "Ja.")
        #expect(ReplyText.extract("Ja.\n\nAm Mo., 3. März 2025 um 14:15 Uhr schrieb Jane Doe <\njane@example.com>:\n> x") == "Ja.")
        #expect(ReplyText.extract("Oui.\nLe lun. 3 mars 2025, Jane <j@example.com> a écrit :\n> x") == "Oui.")
    }

    @Test func signature() {
        #expect(ReplyText.extract("Thanks!\n-- \nBob\nExample Corp") == "Thanks!")
        #expect(ReplyText.extract("Thanks!\n--\nBob") == "Thanks!")
    }

    @Test func interleavedQuotes() {
        let text = "> Can you come?\nYes.\n> At noon?\nBetter at one.\n"
        #expect(ReplyText.extract(text) == "Yes.\nBetter at one.")
    }

    @Test func outlookHeaderBlock() {
        let text = "See below.\r\n\r\nFrom: Jane Doe <jane@example.com>\r\nSent: Monday, March 3, 2025 2:15 PM\r\nTo: Bob\r\nSubject: Lunch\r\n\r\nLunch?"
        #expect(ReplyText.extract(text) == "See below.")
        let bold = "Ok\n\n*From:* Jane\n*Sent:* Monday\n*Subject:* x\n"
        #expect(ReplyText.extract(bold) == "Ok")
    }

    @Test func separators() {
        #expect(ReplyText.extract("Fine.\n-----Original Message-----\nFrom: x\n") == "Fine.")
        #expect(ReplyText.extract("FYI\n\n---------- Forwarded message ---------\nFrom: x") == "FYI")
        #expect(ReplyText.extract("Ok\n________________________________\nFrom: x\nSent: y") == "Ok")
    }

    @Test func ordinaryTextIsKept() {
        let text = "From: the start of a sentence is fine\nOn the other hand, nothing here is quoted.\n"
        #expect(ReplyText.extract(text) == text.trimmingCharacters(in: .newlines))
        #expect(ReplyText.extract("") == "")
    }
}
