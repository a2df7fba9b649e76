import Foundation
import Testing
@testable import DiffSynth

@Suite("PNG encoding")
struct PNGEncodingTests {
    @Test("encoding then decoding returns the same pixels, at every small size and for noise")
    func roundTrip() throws {
        for (width, height) in [(1, 1), (1, 7), (7, 1), (13, 9), (64, 48), (257, 3)] {
            let image = ImageFixtures.picture(width: width, height: height, seed: UInt64(width * 1000 + height))
            #expect(try RGBImage(pngData: image.pngData()) == image, "\(width)x\(height)")
        }
        let noise = ImageFixtures.noise(width: 100, height: 80, seed: 5)
        #expect(try RGBImage(pngData: noise.pngData()) == noise)
    }

    @Test("a decoded fixture re-encodes losslessly")
    func fixtureRoundTrip() throws {
        for name in ["rgb8_pil", "pal4", "rgba16_adam7"] {
            let image = try RGBImage(contentsOf: Fixtures.url("images/png/\(name).png"))
            #expect(try RGBImage(pngData: image.pngData()) == image, "\(name)")
        }
    }

    @Test("smooth images compress well; empty images cannot be encoded")
    func compression() throws {
        let flat = RGBImage(width: 256, height: 256, pixels: [UInt8](repeating: 200, count: 256 * 256 * 3))
        #expect(try flat.pngData().count < 1000)
        // Gradients without noise: the filters make them nearly free.
        let gradient = RGBImage(width: 256, height: 256) { out in
            for i in 0..<(256 * 256) { out[3 * i] = UInt8(i % 256); out[3 * i + 1] = UInt8(i / 256); out[3 * i + 2] = UInt8((i % 256 + i / 256) / 2) }
        }
        #expect(try gradient.pngData().count < 2000)
        #expect(throws: ImageError.self) { try RGBImage(width: 0, height: 5).pngData() }
    }
}
