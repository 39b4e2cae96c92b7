import ConduitCore
import Foundation
import Testing

@Suite struct QRCodeTests {
    @Test func pngEncoderWritesAValidHeader() throws {
        let png = try PNGEncoder.grayscale(width: 3, height: 2, pixels: [0, 128, 255, 255, 128, 0])
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // IHDR width and height, big-endian, at bytes 16..<24.
        #expect(Array(png[16..<24]) == [0, 0, 0, 3, 0, 0, 0, 2])
    }

    @Test func pngEncoderRejectsMismatchedBuffer() {
        #expect(throws: CryptoError.self) { try PNGEncoder.grayscale(width: 3, height: 3, pixels: [0]) }
    }

    /// The real check: zbarimg (zbar-tools, installed by `make test`) reads
    /// back exactly the text that was encoded.
    @Test func qrCodeDecodesToTheSameText() throws {
        let text = "otpauth://totp/Conduit:alice%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Conduit"
        let png = try QRCode.png(for: text)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("conduit-qr-\(UUID().uuidString).png")
        try Data(png).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/zbarimg")
        process.arguments = ["--quiet", "--raw", file.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let decoded = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0)
        #expect(decoded.trimmingCharacters(in: .newlines) == text)
    }

    @Test func qrCodeRejectsOversizedText() {
        #expect(throws: CryptoError.self) { try QRCode.png(for: String(repeating: "x", count: 5000)) }
    }
}
