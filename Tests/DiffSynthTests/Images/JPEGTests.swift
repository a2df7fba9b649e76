import Foundation
import Testing
@testable import DiffSynth

@Suite("JPEG via libjpeg")
struct JPEGTests {
    /// PIL bundles its own libjpeg-turbo (3.x) while we link the system one; both use the islow
    /// IDCT and fancy upsampling, so pixels should agree exactly, but versions may round a few
    /// values differently: allow 2 levels per byte, and a mean difference under 0.05.
    static let maxDifference = 2

    @Test("baseline, 4:4:4, progressive, greyscale, CMYK and odd-sized JPEGs decode like PIL's convert(\"RGB\")",
          arguments: ImageFixtures.jpegCases().map(\.name))
    func matchesPIL(name: String) throws {
        let testCase = try #require(ImageFixtures.jpegCases().first { $0.name == name })
        let image = try RGBImage(contentsOf: Fixtures.url("images/jpeg/\(name).jpg"))
        #expect(image.width == testCase.width && image.height == testCase.height)
        let expected = try ImageFixtures.rawImage("jpeg/\(name).rgb", width: testCase.width, height: testCase.height)
        let difference = pixelDifference(image, expected)
        print("JPEG \(name): max difference \(difference.max), mean \(difference.mean)")
        #expect(difference.max <= Self.maxDifference, "\(name): max difference \(difference.max)")
        #expect(difference.mean < 0.05, "\(name): mean difference \(difference.mean)")
    }

    @Test("encoding at quality 95 then decoding stays close; lower quality is smaller and further off")
    func roundTrip() throws {
        let image = ImageFixtures.picture(width: 96, height: 64)
        let high = try image.jpegData()
        let decoded = try RGBImage(jpegData: high)
        #expect(decoded.width == 96 && decoded.height == 64)
        let highError = pixelDifference(decoded, image)
        #expect(highError.mean < 3 && highError.max < 40, "\(highError)")
        let low = try image.jpegData(quality: 30)
        let lowError = pixelDifference(try RGBImage(jpegData: low), image)
        #expect(low.count < high.count)
        #expect(lowError.mean > highError.mean)
        #expect(throws: ImageError.self) { try image.jpegData(quality: 0) }
        #expect(throws: ImageError.self) { try RGBImage(width: 0, height: 3).jpegData() }
    }

    /// `dataset --image_format jpg` writes what DiffSynth's `image.save("x.jpg")` writes: PIL's
    /// defaults are libjpeg's (quality 75, 4:2:0, standard tables, islow DCT, JFIF 1:1), so the
    /// files are equal byte for byte (fixture: Tools/reference/make_jpeg_encoder_fixture.py).
    @Test("JPEG encoding equals PIL's save() at its default quality 75 and at 90", arguments: [75, 90])
    func encoderMatchesPIL(quality: Int) throws {
        let source = try ImageFixtures.rawImage("jpeg_encoder/source.rgb", width: 45, height: 29)
        let ours = [UInt8](try source.jpegData(quality: quality))
        let pil = try ImageFixtures.bytes("jpeg_encoder/pil_q\(quality).jpg")
        #expect(ours == pil, "quality \(quality): \(ours.count) bytes against PIL's \(pil.count)")
        #expect(ImageFormat.datasetJPEGQuality == 75)
    }

    @Test("truncated and corrupt JPEGs throw errors naming the file instead of exiting")
    func malformed() throws {
        let good = try ImageFixtures.bytes("jpeg/rgb420.jpg")
        func error(_ bytes: [UInt8]) -> ImageError? {
            do {
                _ = try RGBImage(jpegData: Data(bytes), name: "photo.jpg")
                Issue.record("decoded")
                return nil
            } catch let error as ImageError {
                #expect(error.description.hasPrefix("photo.jpg: "), "\(error)")
                print("expected failure: \(error)")
                return error
            } catch {
                Issue.record("\(error)")
                return nil
            }
        }
        let scan = try #require((0..<(good.count - 1)).first { good[$0] == 0xFF && good[$0 + 1] == 0xDA })
        // Cut in the middle of the entropy-coded data.
        guard case .truncated? = error(Array(good.prefix((scan + good.count) / 2))) else { Issue.record("truncated scan"); return }
        // A complete file with an impossible sample precision: libjpeg's fatal error path
        // (error_exit), which by default would exit() the process.
        var badPrecision = good
        let sof = try #require((0..<(good.count - 1)).first { good[$0] == 0xFF && good[$0 + 1] == 0xC0 })
        badPrecision[sof + 4] = 9
        guard case .jpeg(_, let message)? = error(badPrecision) else { Issue.record("precision"); return }
        #expect(message.contains("precision"), "\(message)")
        // Headers cut short, and garbage after the SOI marker.
        guard case .truncated? = error(Array(good.prefix(300))) else { Issue.record("headers"); return }
        #expect(error([0xFF, 0xD8, 0xFF, 0xFF, 0x00, 0x13]) != nil)
        // A marker in the middle of the entropy-coded data: libjpeg only warns ("premature end of
        // data segment") and fills the rest with grey; we refuse the file. (Corruption that still
        // decodes as valid Huffman codes cannot be detected by any decoder, PIL's included.)
        var corrupt = good
        corrupt[(scan + good.count) / 2] = 0xFF
        corrupt[(scan + good.count) / 2 + 1] = 0xD9
        guard case .corruptData(_, let detail)? = error(corrupt) else { Issue.record("corrupt scan"); return }
        #expect(detail.contains("Corrupt JPEG data"))
        // The process is still here, and libjpeg still works afterwards.
        #expect(try RGBImage(jpegData: Data(good)).width == 32)
    }

    @Test("concurrent decodes and failures do not interfere")
    func concurrency() async throws {
        let good = try ImageFixtures.data("jpeg/rgb420.jpg")
        let bad = Data(good.prefix(200))
        let expected = try RGBImage(jpegData: good)
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<32 {
                group.addTask {
                    if i % 2 == 0 { return try RGBImage(jpegData: good) == expected }
                    return (try? RGBImage(jpegData: bad)) == nil
                }
            }
            for try await ok in group { #expect(ok) }
        }
    }
}
