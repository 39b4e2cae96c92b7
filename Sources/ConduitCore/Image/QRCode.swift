import CQREncode
import Glibc

/// QR codes through libqrencode, rendered as PNG (TOTP enrolment, docs/API.md "TOTP 2FA").
public enum QRCode {
    /// A PNG of the QR code for `text` (byte mode, error correction M), each
    /// module `scale` pixels wide, with the 4-module quiet zone the spec requires.
    public static func png(for text: String, scale: Int = 6) throws -> [UInt8] {
        guard scale >= 1, scale <= 32 else { throw CryptoError(operation: "qrencode", reason: "scale out of range") }
        guard !text.isEmpty, !text.utf8.contains(0) else {
            throw CryptoError(operation: "qrencode", reason: "text is empty or contains NUL")
        }
        guard let code = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M) else {
            let reason = errno == ERANGE ? "text too long for a QR code" : String(cString: strerror(errno))
            throw CryptoError(operation: "qrencode", reason: reason)
        }
        defer { QRcode_free(code) }
        let modules = Int(code.pointee.width)
        let quiet = 4
        let side = (modules + 2 * quiet) * scale
        var pixels = [UInt8](repeating: 255, count: side * side)
        for y in 0..<modules {
            for x in 0..<modules where code.pointee.data[y * modules + x] & 1 == 1 {
                // Bit 0 of each module byte is "dark"; the other bits are libqrencode's bookkeeping.
                for dy in 0..<scale {
                    let row = ((y + quiet) * scale + dy) * side
                    for dx in 0..<scale { pixels[row + (x + quiet) * scale + dx] = 0 }
                }
            }
        }
        return try PNGEncoder.grayscale(width: side, height: side, pixels: pixels)
    }
}
