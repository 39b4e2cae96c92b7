/// An integer as ASCII decimal digits appended to a byte buffer, without a
/// `String` in between (JSON writers of the API and of the payload).
public enum ASCIIDecimal {
    public static func append(_ value: Int, to bytes: inout [UInt8]) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        // The magnitude is unsigned, so Int.min has one too; the divisor stays below 10^19.
        var magnitude = value.magnitude
        var divisor: UInt = 1
        while magnitude / divisor >= 10 { divisor *= 10 }
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude / divisor))
            magnitude %= divisor
            divisor /= 10
        }
    }
}
