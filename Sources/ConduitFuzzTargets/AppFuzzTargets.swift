@_spi(Fuzzing) import ConduitAPI
import ConduitApp
import ConduitDelivery
import ConduitMIME
@_spi(Fuzzing) import ConduitWebhooks

/// Config: the input is a config file's text, loaded as `conduit serve`
/// and `check-config` load it (no file is read: `ConfigLoader.parse`).
enum ConfigFuzzTarget {
    static func run(_ input: [UInt8]) {
        _ = try? ConfigLoader.parse(String(decoding: input, as: UTF8.self), path: "fuzz.toml")
    }
}

/// API: the input is a request body, decoded as every request type the
/// routes take (`APIRequestFuzzing`).
enum APIJSONFuzzTarget {
    static func run(_ input: [UInt8]) {
        _ = APIRequestFuzzing.decodeEveryRequest(input)
    }
}

/// Templates: the input is a `payload_template`. It is checked as a
/// webhook's save checks it; one that passes is rendered over a fixed
/// message, within the render budget, as a delivery renders it.
enum TemplateFuzzTarget {
    static let sample = MIMEParser.parse(Array("""
        From: "Ann Example" <ann@example.com>\r
        To: hooks@conduit.test, "Bob" <bob@example.org>\r
        Cc: carol@example.net\r
        Subject: =?UTF-8?Q?Caf=C3=A9_order?= #42\r
        Date: Tue, 14 Nov 2023 22:13:20 +0000\r
        Message-ID: <fuzz-sample@example.com>\r
        MIME-Version: 1.0\r
        Content-Type: multipart/mixed; boundary="b1"\r
        \r
        --b1\r
        Content-Type: text/plain; charset=utf-8\r
        \r
        Two espressos, please. "Quoted" and \\ backslash.\r
        > quoted reply\r
        --b1\r
        Content-Type: text/html; charset=utf-8\r
        \r
        <p>Two espressos</p>\r
        --b1\r
        Content-Type: application/octet-stream; name="a.bin"\r
        Content-Transfer-Encoding: base64\r
        \r
        AAECAwQF\r
        --b1--\r

        """.utf8))

    static let context = PayloadContext(
        id: "0000000000000000000000", webhookID: "wh_fuzz", receivedAt: fuzzNow, mailFrom: "ann@example.com",
        rcptTo: "hooks@conduit.test", remoteIP: "192.0.2.1", helo: "mail.example.com", tls: true
    )

    static func run(_ input: [UInt8]) async {
        guard let template = TemplateFuzzing.validatePayloadTemplate(String(decoding: input, as: UTF8.self)) else { return }
        _ = try? await PayloadRenderer.render(message: sample, context: context, template: template)
    }
}
