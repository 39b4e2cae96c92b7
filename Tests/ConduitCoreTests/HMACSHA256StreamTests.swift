import ConduitCore
import Testing

/// The MAC fed in pieces equals the one-call MAC, for keys shorter and
/// longer than the block and any split of the message.
@Suite struct HMACSHA256StreamTests {
    @Test(arguments: [0, 1, 20, 64, 65, 200])
    func piecesEqualOneCall(keyLength: Int) {
        let key = (0..<keyLength).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let message = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        for split in [0, 1, 63, 64, 999, 5000] {
            let stream = HMACSHA256Stream(key: key)
            stream.update(Array(message[..<split]))
            stream.update(Array(message[split...]))
            #expect(stream.finalize() == HMAC.sha256(key: key, message: message))
        }
    }

    @Test func signerEqualsSign() {
        let key = Array("0123456789abcdef0123456789".utf8)
        let body = Array(#"{"a":"b","c":[1,2,3]}"#.utf8)
        let signer = WebhookSignature.Signer(key: key, id: "msg_1", timestamp: 1_700_000_000)
        signer.update(Array(body[..<5]))
        signer.update(Array(body[5...]))
        #expect(signer.signature() == WebhookSignature.sign(key: key, id: "msg_1", timestamp: 1_700_000_000, body: body))
    }

    @Test func signerWithTwoKeysEqualsSignWithTwoKeys() {
        let keys = WebhookSignature.Keys(current: Array("0123456789abcdef0123456789".utf8), previous: Array(repeating: 0xA5, count: 80))
        let body = (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let signer = WebhookSignature.Signer(keys: keys, id: "msg_1", timestamp: 1_700_000_000)
        for piece in stride(from: 0, to: body.count, by: 1000) { signer.update(Array(body[piece..<piece + 1000])) }
        let signature = signer.signature()
        #expect(signature == WebhookSignature.sign(keys: keys, id: "msg_1", timestamp: 1_700_000_000, body: body))
        #expect(signature.split(separator: " ").count == 2)
    }
}
