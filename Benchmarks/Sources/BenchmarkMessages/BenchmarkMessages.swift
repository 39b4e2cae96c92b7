import ConduitCore
import ConduitDelivery
import Foundation

/// The messages the benchmarks parse, built the way the shared load
/// generator (`../shared/bench/smtpload.py`) and real mailers write them,
/// deterministically, so every run and every checkout measures the same bytes.
public enum BenchmarkMessages {
    /// What `smtpload.py` sends at `--size 1k`: text/plain, us-ascii, 7bit,
    /// CRLF, with the `Received:` field the spool puts in front.
    public static let plain1KiB: [UInt8] = {
        var header = """
        Received: from client.test ([127.0.0.1]) by conduit.test with ESMTP id 01m94s3r5p9yd0nr4mtts79xtc; Sun, 06 Dec 2026 07:00:00 +0000\r
        From: Bench Sender <sender@client.test>\r
        To: <bench@bench.test>\r
        Subject: bench message BENCHSEQ-42 BENCHRUN-micro\r
        Date: Mon, 01 Jan 2024 00:00:00 +0000\r
        Message-ID: <42.micro@client.test>\r
        X-Bench-Seq: 42\r
        X-Bench-Run: micro\r
        MIME-Version: 1.0\r
        Content-Type: text/plain; charset=us-ascii\r
        Content-Transfer-Encoding: 7bit\r
        \r

        """
        let intro = "Hello webhook.\r\nBENCHSEQ-42 BENCHRUN-micro\r\n"
        let filler = "The quick brown fox jumps over the lazy dog; bench filler text 0123456789.\r\n"
        header += intro
        while header.utf8.count + filler.utf8.count <= 1024 { header += filler }
        return Array(header.utf8)
    }()

    /// A 100 KiB reply as a mail client writes it: multipart/mixed of a
    /// multipart/alternative (quoted-printable text with a quoted reply and
    /// a signature, HTML) and a base64 PDF, with encoded words in the
    /// subject, names and file name, and a few recipients.
    public static let multipart100KiB: [UInt8] = {
        var text = "Hi Jane,\r\n\r\nthanks =E2=80=94 the numbers look right. Two notes below.\r\n\r\n"
        for line in 0..<12 {
            text += "> Line \(line) of the quoted message, with some words to make it realistic and long=\r\n>  enough to be folded by quoted-printable.\r\n"
        }
        text += "\r\nOn Tue, 1 Apr 2025 at 10:00, Jane Doe <jane@example.com> wrote:\r\n> earlier text\r\n\r\n-- \r\nBob\r\nExample Corp\r\n"
        var html = "<html><body><p>Hi Jane,</p><p>thanks =E2=80=94 the numbers look right.</p>\r\n"
        for line in 0..<40 { html += "<blockquote>Quoted line \(line) of the earlier message &amp; more text here</blockquote>=\r\n\r\n" }
        html += "</body></html>\r\n"
        var random = SplitMix(seed: 15)
        let pdf = (0..<(88 * 1024)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let base64 = Data(pdf).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        let message = """
        Received: from mail.example.org (mail.example.org [192.0.2.10]) by conduit.test with ESMTPS id 01m94s3r5p9yd0nr4mtts79xtc; Sun, 06 Dec 2026 07:00:00 +0000\r
        DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=s2024; h=from:to:subject:date;\r
         bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=abcdefghijklmnopqrstuvwxyz0123456789\r
        From: =?UTF-8?Q?Bob_M=C3=BCller?= <bob@example.org>\r
        To: Jane Doe <jane@example.com>, "Ops Team" <ops+invoices@in.conduit.test>\r
        Cc: =?ISO-8859-1?Q?Andr=E9?= <andre@example.fr>, carol@example.net (Carol)\r
        Reply-To: Bob <bob@example.org>\r
        Subject: =?UTF-8?B?UmU6IFF1YXJ0YWxzemFobGVuIOKAlCBGaW5hbA==?=\r
        Date: Tue, 1 Apr 2025 12:34:56 +0200\r
        Message-ID: <CAF=abc123.456@mail.example.org>\r
        In-Reply-To: <earlier@example.com>\r
        References: <first@example.com> <earlier@example.com>\r
        MIME-Version: 1.0\r
        Content-Type: multipart/mixed; boundary="mixed_0123456789"\r
        \r
        This is a multi-part message in MIME format.\r
        --mixed_0123456789\r
        Content-Type: multipart/alternative; boundary="alt_0123456789"\r
        \r
        --alt_0123456789\r
        Content-Type: text/plain; charset="utf-8"\r
        Content-Transfer-Encoding: quoted-printable\r
        \r
        \(text)\r
        --alt_0123456789\r
        Content-Type: text/html; charset="utf-8"\r
        Content-Transfer-Encoding: quoted-printable\r
        \r
        \(html)\r
        --alt_0123456789--\r
        \r
        --mixed_0123456789\r
        Content-Type: application/pdf; name="=?UTF-8?Q?Rechnung_M=C3=A4rz.pdf?="\r
        Content-Disposition: attachment; filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf\r
        Content-Transfer-Encoding: base64\r
        \r
        \(base64)\r
        --mixed_0123456789--\r

        """
        return Array(message.utf8)
    }()

    /// A delivery's context, as the engine fills it from the spool.
    public static let context = PayloadContext(
        id: "01m94s3r5p9yd0nr4mtts79xtc", webhookID: "01m94s3r4q69m7sna0bsnzh9ny",
        receivedAt: Date(timeIntervalSince1970: 1_796_540_400), mailFrom: "sender@client.test",
        rcptTo: "bench@bench.test", remoteIP: "127.0.0.1", helo: "client.test", tls: false,
        spf: .init(result: "pass", domain: "client.test"),
        dkim: [.init(domain: "client.test", selector: "s2024", result: "pass")]
    )

    /// A leased delivery with a tag, as the claim pass reads and writes it.
    public static let delivery: Delivery = {
        let now = Date(timeIntervalSince1970: 1_796_540_400)
        var delivery = Delivery(
            id: "01m94s3r5qa1ht46t9es5yr25t", messageID: "01m94s3r5p9yd0nr4mtts79xtc", webhookID: "01m94s3r4q69m7sna0bsnzh9ny",
            accountID: "01m94s3p4d8v88536pf5ed2bm1", rcptTo: "orders+invoices@in.conduit.test", tag: "invoices",
            attempts: 2, nextAttemptAt: now.addingTimeInterval(30), createdAt: now
        )
        delivery.leasedUntil = now.addingTimeInterval(30)
        return delivery
    }()

    /// A spooled message with one recipient, SPF and one DKIM result.
    public static let spooledMessage = SpooledMessage(
        id: "01m94s3r5p9yd0nr4mtts79xtc", receivedAt: Date(timeIntervalSince1970: 1_796_540_400), mailFrom: "alice@example.org",
        remoteIP: "192.0.2.10", helo: "mail.example.org", tls: true, authUser: nil,
        spf: SpooledSPF(result: "pass", domain: "example.org"),
        dkim: [SpooledDKIM(domain: "example.org", selector: "s2024", result: "pass")], size: 1_024,
        recipients: [SpooledRecipient(rcptTo: "orders+invoices@in.conduit.test", webhookID: "01m94s3r4q69m7sna0bsnzh9ny",
                                      accountID: "01m94s3p4d8v88536pf5ed2bm1", tag: "invoices")]
    )
}

/// SplitMix64: the attachment's bytes, the same on every run.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
