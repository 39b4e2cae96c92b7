import ConduitDNS

/// DNS: the input is a reply as it comes off the wire. Decoded; when that
/// succeeds, encoded again and decoded again.
///
/// Promise checked: what the decoder accepts, the encoder writes back to
/// the same message (`decode(encode(m)) == m`).
enum DNSFuzzTarget {
    static func run(_ input: [UInt8]) {
        guard let message = try? DNSMessage.decode(input) else { return }
        guard let encoded = try? message.encode() else { return }
        let again: DNSMessage
        do {
            again = try DNSMessage.decode(encoded)
        } catch {
            preconditionFailure("a decoded message encodes to bytes that do not decode: \(error)")
        }
        precondition(again == message, "decode(encode(m)) != m")
    }
}
