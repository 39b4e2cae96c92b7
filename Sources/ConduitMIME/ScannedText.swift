/// Text that `AddressList` and `ParameterScanner` read: ASCII bytes, or
/// Characters. The scanners are written once over this and run as bytes
/// when the text is ASCII (nearly always), as Characters otherwise, where
/// `==` is canonical equivalence and a combining mark joins the character
/// before it. On ASCII the two readings are the same.
protocol ScannedText: RandomAccessCollection where Index == Int, Element: ScannedUnit {
    static func string(_ units: some Collection<Element>) -> String
}

protocol ScannedUnit {
    /// Whether this is the ASCII character `ascii` (for a Character: is
    /// canonically equivalent to it, as `==` on Characters says).
    func `is`(_ ascii: Unicode.Scalar) -> Bool
    /// Whether this is one of `set`, in the sense of `is`: one test instead
    /// of one per member, where scanners stop at any of several characters.
    func isOne(of set: ASCIISet) -> Bool
}

/// A set of ASCII characters as a 128-bit mask.
struct ASCIISet {
    let members: [Unicode.Scalar]
    private let low: UInt64
    private let high: UInt64

    init(_ characters: String) {
        members = Array(characters.unicodeScalars)
        var low: UInt64 = 0
        var high: UInt64 = 0
        for scalar in members {
            precondition(scalar.isASCII, "ASCIISet holds ASCII only")
            if scalar.value < 64 { low |= 1 << scalar.value } else { high |= 1 << (scalar.value - 64) }
        }
        self.low = low
        self.high = high
    }

    func contains(_ byte: UInt8) -> Bool {
        byte < 64 ? low & (1 << byte) != 0 : byte < 128 && high & (1 << (byte - 64)) != 0
    }
}

extension UnsafeBufferPointer<UInt8>: ScannedText {
    static func string(_ units: some Collection<UInt8>) -> String { String(decoding: units, as: UTF8.self) }
}

extension [Character]: ScannedText {
    static func string(_ units: some Collection<Character>) -> String { String(units) }
}

extension UInt8: ScannedUnit {
    func `is`(_ ascii: Unicode.Scalar) -> Bool { self == UInt8(ascii: ascii) }
    func isOne(of set: ASCIISet) -> Bool { set.contains(self) }
}

extension Character: ScannedUnit {
    func `is`(_ ascii: Unicode.Scalar) -> Bool { self == Character(ascii) }

    func isOne(of set: ASCIISet) -> Bool {
        // One ASCII scalar is itself; anything else may still be canonically
        // equivalent to a member (U+037E is ";").
        if utf8.count == 1, let byte = utf8.first { return set.contains(byte) }
        return set.members.contains { self == Character($0) }
    }
}

enum ScannedTextReader {
    /// `ascii` over the bytes of `text` when it is all ASCII, else `other`
    /// over its Characters (the caller runs one generic scanner in both).
    static func read<Result>(_ text: String, ascii: (UnsafeBufferPointer<UInt8>) -> Result, other: ([Character]) -> Result) -> Result {
        var text = text
        if let result = text.withUTF8({ bytes in bytes.allSatisfy { $0 < 0x80 } ? ascii(bytes) : nil }) { return result }
        return other(Array(text))
    }
}
