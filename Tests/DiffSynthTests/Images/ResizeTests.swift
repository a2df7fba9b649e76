import Foundation
import Testing
@testable import DiffSynth

@Suite("PIL-exact resizing and DiffSynth crop-and-resize")
struct ResizeTests {
    struct ResizeCase: Decodable {
        let source: String
        let sourceWidth: Int
        let sourceHeight: Int
        let width: Int
        let height: Int
        let expected: String
    }

    struct CropCase: Decodable {
        let source: String
        let sourceWidth: Int
        let sourceHeight: Int
        let height: Int?
        let width: Int?
        let maxPixels: Int?
        let divisor: Int
        let targetWidth: Int
        let targetHeight: Int
        let resized: Bool
        let expected: String
    }

    struct Cases: Decodable {
        let resize: [ResizeCase]
        let cropAndResize: [CropCase]
    }

    struct TargetCase: Decodable {
        let width: Int
        let height: Int
        let fixedHeight: Int?
        let fixedWidth: Int?
        let maxPixels: Int
        let divisor: Int
        let targetWidth: Int
        let targetHeight: Int
    }

    static let cases = (try? Fixtures.decode(Cases.self, "images/resize_cases.json")) ?? Cases(resize: [], cropAndResize: [])

    @Test("BILINEAR resize is bit-identical to PIL for down-, up- and one-axis scales",
          arguments: cases.resize.map { "\($0.sourceWidth)x\($0.sourceHeight) to \($0.width)x\($0.height)" })
    func resize(label: String) throws {
        let c = try #require(Self.cases.resize.first { "\($0.sourceWidth)x\($0.sourceHeight) to \($0.width)x\($0.height)" == label })
        let source = try ImageFixtures.rawImage(c.source, width: c.sourceWidth, height: c.sourceHeight)
        let expected = try ImageFixtures.rawImage(c.expected, width: c.width, height: c.height)
        let result = source.resized(width: c.width, height: c.height)
        let identical = result == expected
        #expect(identical, "max difference \(pixelDifference(result, expected).max)")
    }

    @Test("ImageCropAndResize matches DiffSynth (torchvision resize + center_crop) and reports resizing",
          arguments: cases.cropAndResize.map(\.expected))
    func cropAndResize(expectedFile: String) throws {
        let c = try #require(Self.cases.cropAndResize.first { $0.expected == expectedFile })
        let source = try ImageFixtures.rawImage(c.source, width: c.sourceWidth, height: c.sourceHeight)
        let result = try source.diffSynthCropAndResize(fixedHeight: c.height, fixedWidth: c.width,
                                                       maxPixels: c.maxPixels ?? 1_048_576, divisor: c.divisor)
        #expect(result.width == c.targetWidth && result.height == c.targetHeight)
        #expect(result.resized == c.resized)
        let expected = try ImageFixtures.rawImage(c.expected, width: c.targetWidth, height: c.targetHeight)
        let identical = result.image == expected
        #expect(identical, "max difference \(pixelDifference(result.image, expected).max)")
    }

    @Test("target sizes equal DiffSynth's get_height_width, including the spec's examples")
    func targetSizes() throws {
        let cases = try Fixtures.decode([TargetCase].self, "images/target_sizes.json")
        #expect(cases.count >= 8)
        for c in cases {
            let size = RGBImage.diffSynthTargetSize(width: c.width, height: c.height, fixedHeight: c.fixedHeight,
                                                    fixedWidth: c.fixedWidth, maxPixels: c.maxPixels, divisor: c.divisor)
            #expect(size.width == c.targetWidth && size.height == c.targetHeight, "\(c)")
        }
        // The spec's table, independently of the fixture.
        let spec: [(Int, Int, Int, Int, Int)] = [(1920, 1080, 16, 1360, 768), (1920, 1080, 32, 1344, 768),
                                                 (1328, 1328, 16, 1024, 1024), (1000, 700, 16, 992, 688),
                                                 (1000, 700, 32, 992, 672), (4000, 3000, 16, 1168, 880),
                                                 (4000, 3000, 32, 1152, 864)]
        for (w, h, f, tw, th) in spec {
            let size = RGBImage.diffSynthTargetSize(width: w, height: h, maxPixels: 1_048_576, divisor: f)
            #expect(size == (tw, th), "\(w)x\(h) f\(f)")
        }
    }

    @Test("a 1328x1328 teacher image is resized under the default max_pixels but not with a matching fixed size")
    func directDistillationPairing() throws {
        let image = ImageFixtures.picture(width: 1328, height: 1328)
        let shrunk = try image.diffSynthCropAndResize(maxPixels: 1_048_576, divisor: 16)
        #expect(shrunk.resized && shrunk.width == 1024 && shrunk.height == 1024)
        let kept = try image.diffSynthCropAndResize(fixedHeight: 1328, fixedWidth: 1328, maxPixels: 1_048_576, divisor: 16)
        #expect(!kept.resized && !kept.cropped && kept.image == image)
        #expect(throws: ImageError.self) { try ImageFixtures.picture(width: 17, height: 9).diffSynthCropAndResize(maxPixels: 1_048_576, divisor: 16) }
    }

    @Test("centre crop rounds half to even and pads with black like torchvision")
    func centerCrop() {
        let image = ImageFixtures.picture(width: 5, height: 4)
        // (5 - 2) / 2 = 1.5 rounds to 2; (4 - 3) / 2 = 0.5 rounds to 0.
        #expect(image.centerCropped(width: 2, height: 3) == image.cropped(x: 2, y: 0, width: 2, height: 3))
        let padded = image.centerCropped(width: 8, height: 4)
        // Padding (8 - 5) // 2 = 1 column on the left, 2 on the right.
        #expect(padded[0, 0] == (0, 0, 0) && padded[6, 3] == (0, 0, 0) && padded[7, 2] == (0, 0, 0))
        #expect(padded[1, 2] == image[0, 2] && padded[5, 1] == image[4, 1])
    }
}

@Suite("Resize pass order")
struct ResizePassOrderTests {
    @Test("Pillow 12 and 13 orders agree unless the height shrinks by more than twice the width's shrink")
    func passOrders() {
        let image = ImageFixtures.noise(width: 64, height: 48, seed: 3)
        for (w, h) in [(20, 30), (16, 16), (100, 60), (60, 47)] {
            let same = image.resized(width: w, height: h) == image.resized(width: w, height: h, passOrder: .horizontalFirst)
            #expect(same, "\(w)x\(h)")
        }
        // 48 - 3 = 45 > 2 * (64 - 100): Pillow 13 goes vertical first, and the rounding differs.
        let different = image.resized(width: 100, height: 3) != image.resized(width: 100, height: 3, passOrder: .horizontalFirst)
        #expect(different)
    }
}
