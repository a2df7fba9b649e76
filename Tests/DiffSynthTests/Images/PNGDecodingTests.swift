import Foundation
import Testing
@testable import DiffSynth

@Suite("PNG decoding")
struct PNGDecodingTests {
    @Test("every colour type, bit depth, filter and Adam7 file decodes to PIL's convert(\"RGB\") bytes",
          arguments: ImageFixtures.pngCases().map(\.name))
    func matchesPIL(name: String) throws {
        let testCase = try #require(ImageFixtures.pngCases().first { $0.name == name })
        let image = try RGBImage(contentsOf: Fixtures.url("images/png/\(name).png"))
        #expect(image.width == testCase.width && image.height == testCase.height)
        let identical = image.pixels == (try ImageFixtures.bytes("png/\(name).rgb"))
        #expect(identical)
    }

    @Test("all the promised variants are among the fixtures")
    func coverage() {
        let names = Set(ImageFixtures.pngCases().map(\.name))
        for required in ["gray1", "gray2", "gray4", "gray8", "gray16", "graya8", "graya16", "rgb8", "rgb16",
                         "rgba8", "rgba16", "pal1", "pal2", "pal4", "pal8", "rgb8_adam7", "rgb8_stored", "rgb8_pil"] {
            #expect(names.contains(required), "missing fixture \(required)")
        }
    }

    /// Decodes `bytes` and returns the error, which must be an ``ImageError`` naming the file.
    func failure(_ bytes: [UInt8]) -> ImageError? {
        do {
            _ = try RGBImage(pngData: Data(bytes), name: "bad.png")
            Issue.record("decoding succeeded")
            return nil
        } catch let error as ImageError {
            #expect(error.description.hasPrefix("bad.png: "), "\(error)")
            #expect(!error.description.contains("\n"))
            print("expected failure: \(error)")
            return error
        } catch {
            Issue.record("unexpected error type \(error)")
            return nil
        }
    }

    @Test("malformed files throw one-line errors that name the file and the problem")
    func malformed() throws {
        let good = try ImageFixtures.bytes("png/rgb8.png")
        let raw = [UInt8](repeating: 0, count: 4 * (1 + 4 * 3))

        // Truncated inside a chunk.
        guard case .truncated(_, let detail)? = failure(Array(good.prefix(good.count - 20))) else { Issue.record("truncation"); return }
        #expect(detail.contains("IDAT") || detail.contains("IEND"), "\(detail)")
        // Bad CRC.
        var b = PNGBuilder()
        b.chunk("IHDR", PNGBuilder.ihdr(width: 4, height: 4), corruptCRC: true)
        guard case .badChecksum(_, let crcDetail)? = failure(b.bytes) else { Issue.record("CRC"); return }
        #expect(crcDetail.contains("IHDR"))
        // Bad IHDR: zero width; wrong length.
        b = PNGBuilder()
        b.chunk("IHDR", PNGBuilder.ihdr(width: 0, height: 4))
        guard case .badHeader? = failure(b.bytes) else { Issue.record("zero width"); return }
        b = PNGBuilder()
        b.chunk("IHDR", Array(PNGBuilder.ihdr(width: 4, height: 4).prefix(12)))
        guard case .badHeader? = failure(b.bytes) else { Issue.record("short IHDR"); return }
        // Unsupported bit depth: 4-bit RGB does not exist.
        b = PNGBuilder()
        b.chunk("IHDR", PNGBuilder.ihdr(width: 4, height: 4, bitDepth: 4, colorType: 2))
        guard case .unsupported(_, let depthDetail)? = failure(b.bytes) else { Issue.record("bit depth"); return }
        #expect(depthDetail.contains("bit depth 4"))
        // Inflate error: a zlib stream using the reserved block type.
        b = PNGBuilder()
        b.chunk("IHDR", PNGBuilder.ihdr(width: 4, height: 4))
        b.chunk("IDAT", [0x78, 0x9C, 0x07, 0, 0, 0, 0])
        b.chunk("IEND", [])
        guard case .corruptData(_, let inflateDetail)? = failure(b.bytes) else { Issue.record("inflate"); return }
        #expect(inflateDetail.contains("inflate"))
        // Wrong data length, both ways.
        guard case .wrongDataLength(_, 52, 51)? = failure(PNGBuilder.rgb(width: 4, height: 4, raw: Array(raw.dropLast()))) else {
            Issue.record("short data"); return
        }
        guard case .corruptData? = failure(PNGBuilder.rgb(width: 4, height: 4, raw: raw + [0])) else { Issue.record("long data"); return }
        // Invalid filter type.
        var badFilter = raw
        badFilter[13] = 9
        guard case .corruptData(_, let filterDetail)? = failure(PNGBuilder.rgb(width: 4, height: 4, raw: badFilter)) else {
            Issue.record("filter"); return
        }
        #expect(filterDetail.contains("filter type 9"))
        // No IEND, unknown critical chunk, missing signature, palette image without PLTE.
        guard case .truncated? = failure(Array(PNGBuilder.rgb(width: 4, height: 4, raw: raw).dropLast(12))) else { Issue.record("IEND"); return }
        b = PNGBuilder()
        b.chunk("IHDR", PNGBuilder.ihdr(width: 4, height: 4))
        b.chunk("ABCD", [1, 2, 3])
        guard case .unsupported? = failure(b.bytes) else { Issue.record("critical chunk"); return }
        guard case .corruptData? = failure(Array(good.dropFirst())) else { Issue.record("signature"); return }
        b = PNGBuilder()
        b.chunk("IHDR", PNGBuilder.ihdr(width: 4, height: 4, colorType: 3))
        b.chunk("IDAT", Deflater.zlibCompress([UInt8](repeating: 0, count: 20)))
        b.chunk("IEND", [])
        guard case .corruptData(_, let paletteDetail)? = failure(b.bytes) else { Issue.record("PLTE"); return }
        #expect(paletteDetail.contains("PLTE"))
        // A header claiming a gigapixel image is refused before any allocation.
        b = PNGBuilder()
        b.chunk("IHDR", PNGBuilder.ihdr(width: 100_000, height: 100_000))
        guard case .tooLarge? = failure(b.bytes) else { Issue.record("too large"); return }
    }

    @Test("ancillary chunks are skipped and split IDAT chunks are joined")
    func chunkHandling() throws {
        let image = ImageFixtures.picture(width: 9, height: 5)
        var raw: [UInt8] = []
        for y in 0..<5 { raw += [0] + image.pixels[(y * 27)..<((y + 1) * 27)] }
        let compressed = Deflater.zlibCompress(raw)
        var b = PNGBuilder()
        b.chunk("IHDR", PNGBuilder.ihdr(width: 9, height: 5))
        b.chunk("gAMA", [0, 0, 0xB1, 0x8F])
        for start in stride(from: 0, to: compressed.count, by: 7) {
            b.chunk("IDAT", Array(compressed[start..<min(start + 7, compressed.count)]))
        }
        b.chunk("tEXt", Array("Comment\0hi".utf8))
        b.chunk("IEND", [])
        #expect(try RGBImage(pngData: Data(b.bytes)) == image)
    }
}
