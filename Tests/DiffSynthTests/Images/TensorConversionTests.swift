import Foundation
import Testing
@testable import DiffSynth

@Suite("Image and tensor conversions")
struct TensorConversionTests {
    struct Values: Decodable {
        let preprocessBits: [Int32]
        let outputBits: [Int32]
        let diffsynthBytes: [UInt8]
        let diffusersBytes: [UInt8]
    }

    static func values() throws -> Values { try Fixtures.decode(Values.self, "images/tensor_values.json") }

    @Test("tensor() is bit-identical to torch's x * (2/255) - 1 for all 256 byte values, laid out [1, 3, H, W]")
    func preprocess() throws {
        let expected = try Self.values().preprocessBits.map { Float(bitPattern: UInt32(bitPattern: $0)) }
        var pixels: [UInt8] = []
        for v in 0..<256 { pixels += [UInt8(v), UInt8(255 - v), UInt8((v * 7) % 256)] }
        let tensor = RGBImage(width: 16, height: 16, pixels: pixels).tensor()
        #expect(tensor.shape == [1, 3, 16, 16])
        let scalars = tensor.scalars
        for v in 0..<256 {
            #expect(scalars[v].bitPattern == expected[v].bitPattern, "byte \(v)")
            #expect(scalars[256 + v].bitPattern == expected[255 - v].bitPattern)
            #expect(scalars[512 + v].bitPattern == expected[(v * 7) % 256].bitPattern)
        }
    }

    @Test("quantisation matches vae_output_to_image (truncating) and diffusers (rounding) in float32")
    func quantize() throws {
        let values = try Self.values()
        let inputs = values.outputBits.map { Float(bitPattern: UInt32(bitPattern: $0)) }
        for (i, x) in inputs.enumerated() {
            #expect(RGBImage.quantizeDiffSynth(x) == values.diffsynthBytes[i], "diffsynth \(x)")
            #expect(RGBImage.quantizeDiffusers(x) == values.diffusersBytes[i], "diffusers \(x)")
        }
        #expect(RGBImage.quantizeDiffSynth(.nan) == 0 && RGBImage.quantizeDiffSynth(.infinity) == 255)
    }

    @Test("init(tensor:) accepts [1, 3, H, W] and [3, H, W], reverses tensor() layout, and rejects other shapes")
    func fromTensor() throws {
        let image = ImageFixtures.picture(width: 7, height: 5)
        let tensor = image.tensor()
        let back = try RGBImage(tensor: tensor, quantization: .diffusers)
        #expect(back == image)  // rounding recovers every byte exactly
        let unbatched = try RGBImage(tensor: tensor.reshaped([3, 5, 7]), quantization: .diffusers)
        #expect(unbatched == image)
        let truncated = try RGBImage(tensor: tensor)
        #expect(pixelDifference(truncated, image).max <= 1)
        #expect(throws: ImageError.self) { try RGBImage(tensor: Tensor.zeros([2, 3, 5, 7])) }
        #expect(throws: ImageError.self) { try RGBImage(tensor: Tensor.zeros([1, 4, 5, 7])) }
        #expect(throws: ImageError.self) { try RGBImage(tensor: Tensor.zeros([5, 7])) }
        do {
            _ = try RGBImage(tensor: Tensor.zeros([1, 1, 5, 7]))
        } catch let error as ImageError {
            #expect(error.description.contains("[1, 1, 5, 7]") && error.description.contains("3 channels"))
        }
    }
}
