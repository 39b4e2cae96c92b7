import Testing
@testable import ConduitMIME

/// Decoding in pieces of any size gives the bytes of decoding at once, for
/// well-formed and garbled input (the stream of an attachment relies on it).
@Suite struct TransferDecoderTests {
    static func pieces(_ input: [UInt8], encoding: TransferDecoder.Encoding, limit: Int) -> [UInt8] {
        input.withUnsafeBytes { buffer in
            var decoder = TransferDecoder(encoding: encoding, range: 0..<buffer.count)
            var out: [UInt8] = []
            var calls = 0
            while !decoder.isFinished {
                let before = out.count
                decoder.decode(from: buffer, limit: limit, into: &out)
                #expect(out.count - before <= max(1, limit) + 2)
                calls += 1
                precondition(calls < 10_000_000)
            }
            return out
        }
    }

    @Test(arguments: [1, 2, 3, 4, 7, 64, 4096])
    func piecesEqualTheWhole(limit: Int) {
        var random = SeededRandom(seed: UInt64(limit))
        let alphabets: [[UInt8]] = [
            Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/\r\n".utf8),
            Array("ABCxyz09+/=\r\n \t!*".utf8),
            Array("abc=3D=41=\r\n=  \n= x=4=ZZ \t\r\n".utf8),
        ]
        for round in 0..<200 {
            let alphabet = alphabets[round % alphabets.count]
            let input = (0..<Int(random.next() % 300)).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }
            for encoding in [TransferDecoder.Encoding.base64, .quotedPrintable, .identity] {
                var defects: [String] = []
                let whole: [UInt8] = switch encoding {
                case .base64: TransferEncoding.base64(input, defects: &defects)
                case .quotedPrintable: TransferEncoding.quotedPrintable(input)
                case .identity: input
                }
                #expect(Self.pieces(input, encoding: encoding, limit: limit) == whole, "\(encoding) \(input)")
            }
        }
    }

    /// Counting (base64 has a pass of its own) gives the decoded length.
    @Test func countedSizeIsTheDecodedLength() {
        var random = SeededRandom(seed: UInt64.random(in: 0...UInt64.max))
        let alphabets: [[UInt8]] = [
            Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/\r\n".utf8),
            Array("ABCxyz09+/=\r\n \t!*".utf8),
            Array("abc=3D=41=\r\n=  \n= x=4=ZZ \t\r\n".utf8),
        ]
        for round in 0..<600 {
            let alphabet = alphabets[round % alphabets.count]
            let input = (0..<Int(random.next() % 300)).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }
            for encoding in [TransferDecoder.Encoding.base64, .quotedPrintable, .identity] {
                let decoded = Self.pieces(input, encoding: encoding, limit: 1 << 20)
                let counted = input.withUnsafeBytes { AttachmentSource(range: 0..<$0.count, encoding: encoding).decodedSize(in: $0) }
                #expect(counted == decoded.count, "\(encoding) \(input)")
            }
        }
    }

    @Test func decodedSizeNeedsNoBuffer() {
        let input = Array("aGVsbG8gd29ybGQ=\r\n".utf8)
        input.withUnsafeBytes { buffer in
            #expect(AttachmentSource(range: 0..<buffer.count, encoding: .base64).decodedSize(in: buffer) == 11)
            #expect(AttachmentSource(range: 2..<6, encoding: .identity).decodedSize(in: buffer) == 4)
        }
    }
}
