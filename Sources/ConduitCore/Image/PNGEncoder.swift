import CPNG

/// Encodes 8-bit grayscale pixels as PNG through libpng's simplified write API
/// (the classic API needs setjmp, which Swift cannot call).
public enum PNGEncoder {
    /// A PNG of `width`×`height` gray pixels, row-major, one byte each.
    public static func grayscale(width: Int, height: Int, pixels: [UInt8]) throws -> [UInt8] {
        guard width > 0, height > 0, pixels.count == width * height,
              width <= Int(Int32.max), height <= Int(Int32.max)
        else { throw CryptoError(operation: "png", reason: "pixel buffer does not match \(width)x\(height)") }
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = UInt32(PNG_FORMAT_GRAY)
        defer { png_image_free(&image) }

        var size: png_alloc_size_t = 0
        // First call sizes the output, second writes it.
        let sized = pixels.withUnsafeBytes { raw in
            png_image_write_to_memory(&image, nil, &size, 0, raw.baseAddress, Int32(width), nil)
        }
        guard sized != 0, size > 0 else { throw pngError(image) }
        var out = [UInt8](repeating: 0, count: Int(size))
        let written = out.withUnsafeMutableBytes { dst in
            pixels.withUnsafeBytes { raw in
                png_image_write_to_memory(&image, dst.baseAddress, &size, 0, raw.baseAddress, Int32(width), nil)
            }
        }
        guard written != 0 else { throw pngError(image) }
        return Array(out.prefix(Int(size)))
    }

    private static func pngError(_ image: png_image) -> CryptoError {
        var message = image.message
        let text = withUnsafeBytes(of: &message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return CryptoError(operation: "png", reason: text.isEmpty ? "libpng failed" : text)
    }
}
