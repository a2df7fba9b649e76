import Foundation
@testable import DiffSynth

/// Fixture access and builders shared by the image tests (fixtures from
/// `Tools/reference/make_image_fixtures.py`).
enum ImageFixtures {
    struct Case: Decodable {
        let name: String
        let width: Int
        let height: Int
        let pilMode: String
    }

    static func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: Fixtures.url("images/" + path)))
    }

    static func data(_ path: String) throws -> Data {
        try Data(contentsOf: Fixtures.url("images/" + path))
    }

    static func rawImage(_ path: String, width: Int, height: Int) throws -> RGBImage {
        RGBImage(width: width, height: height, pixels: try bytes(path))
    }

    static func pngCases() -> [Case] {
        (try? Fixtures.decode([Case].self, "images/png_cases.json")) ?? []
    }

    static func jpegCases() -> [Case] {
        (try? Fixtures.decode([Case].self, "images/jpeg_cases.json")) ?? []
    }

    /// A deterministic test picture: smooth gradients with a little noise, like a photo.
    static func picture(width: Int, height: Int, seed: UInt64 = 1) -> RGBImage {
        var random = TestRandom(seed)
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * 3
                let noise = Int(random.next() % 7) - 3
                pixels[i] = UInt8(clamping: (x * 255) / max(width - 1, 1) + noise)
                pixels[i + 1] = UInt8(clamping: (y * 255) / max(height - 1, 1) + noise)
                pixels[i + 2] = UInt8(clamping: 128 + Int(100 * sin(Double(x + y) / 9)) + noise)
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// Uniformly random pixels (incompressible).
    static func noise(width: Int, height: Int, seed: UInt64) -> RGBImage {
        var random = TestRandom(seed)
        return RGBImage(width: width, height: height, pixels: (0..<(width * height * 3)).map { _ in UInt8(truncatingIfNeeded: random.next()) })
    }
}

/// Builds PNG files chunk by chunk, for malformed-input tests.
struct PNGBuilder {
    private(set) var bytes: [UInt8] = PNGHeader.signature

    mutating func chunk(_ type: String, _ data: [UInt8], corruptCRC: Bool = false) {
        let body = Array(type.utf8) + data
        bytes += bigEndian(UInt32(data.count)) + body
        var crc = CRC32.checksum(body)
        if corruptCRC { crc ^= 1 }
        bytes += bigEndian(crc)
    }

    static func ihdr(width: Int, height: Int, bitDepth: UInt8 = 8, colorType: UInt8 = 2, interlace: UInt8 = 0) -> [UInt8] {
        bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [bitDepth, colorType, 0, 0, interlace]
    }

    /// A complete RGB PNG whose image data is `raw` (filter bytes included), compressed.
    static func rgb(width: Int, height: Int, raw: [UInt8]) -> [UInt8] {
        var b = PNGBuilder()
        b.chunk("IHDR", ihdr(width: width, height: height))
        b.chunk("IDAT", Deflater.zlibCompress(raw))
        b.chunk("IEND", [])
        return b.bytes
    }
}

func bigEndian(_ v: UInt32) -> [UInt8] {
    [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
}

/// Largest per-byte difference and mean absolute difference of two equally sized images.
func pixelDifference(_ a: RGBImage, _ b: RGBImage) -> (max: Int, mean: Double) {
    precondition(a.width == b.width && a.height == b.height)
    var maximum = 0, total = 0
    for (x, y) in zip(a.pixels, b.pixels) {
        let d = abs(Int(x) - Int(y))
        maximum = max(maximum, d)
        total += d
    }
    return (maximum, Double(total) / Double(max(a.pixels.count, 1)))
}
