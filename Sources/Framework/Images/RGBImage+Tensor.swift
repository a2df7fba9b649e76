/// How a model-space tensor in [-1, 1] is quantised back to 8-bit pixels.
public enum ImageQuantization: Sendable {
    /// DiffSynth's `vae_output_to_image`: `((x + 1) * 127.5).clip(0, 255)`, then a cast to
    /// uint8, which truncates. Used by every DiffSynth pipeline, so teacher images made by
    /// DiffSynth were quantised this way.
    case diffSynth
    /// diffusers' image processor: `(x / 2 + 0.5).clamp(0, 1)`, `* 255`, then numpy's
    /// `round()` (half to even).
    case diffusers
}

extension RGBImage {
    /// Byte → model value, computed once. DiffSynth's `preprocess_image` evaluates
    /// `x * (2/255) - 1` on a float32 tensor: torch turns the Python float 2/255 into the
    /// float32 0.007843138 and rounds after the multiply and again after the subtract (no FMA),
    /// which is exactly two rounded Float operations here; the fixture checks all 256 values.
    private static let byteToUnit: [Float] = (0..<256).map { Float($0) * Float(2.0 / 255.0) - 1 }

    /// The image as a `[1, 3, height, width]` float tensor in [-1, 1], bit-identical to
    /// DiffSynth's float32 `preprocess_image`.
    public func tensor() -> Tensor {
        let plane = width * height
        let storage = TensorStorage(uninitializedCount: 3 * plane)
        Self.byteToUnit.withUnsafeBufferPointer { table in
            pixels.withUnsafeBufferPointer { src in
                let out = storage.pointer
                for i in 0..<plane {
                    out[i] = table[Int(src[3 * i])]
                    out[plane + i] = table[Int(src[3 * i + 1])]
                    out[2 * plane + i] = table[Int(src[3 * i + 2])]
                }
            }
        }
        return Tensor(shape: [1, 3, height, width], storage: storage)
    }

    /// Quantises a `[1, 3, H, W]` or `[3, H, W]` tensor in [-1, 1] (a VAE decoder's output)
    /// to an image.
    ///
    /// - Parameter quantization: ``ImageQuantization/diffSynth`` (default) reproduces
    ///   DiffSynth's `vae_output_to_image` bit for bit in float32; NaN becomes 0.
    /// - Throws: ``ImageError/invalidTensor(shape:reason:)`` for any other shape.
    public init(tensor: Tensor, quantization: ImageQuantization = .diffSynth) throws {
        let shape = tensor.shape
        let (channels, height, width): (Int, Int, Int)
        switch shape.count {
        case 4:
            guard shape[0] == 1 else {
                throw ImageError.invalidTensor(shape: shape, reason: "expected a batch of one image, got \(shape[0])")
            }
            (channels, height, width) = (shape[1], shape[2], shape[3])
        case 3:
            (channels, height, width) = (shape[0], shape[1], shape[2])
        default:
            throw ImageError.invalidTensor(shape: shape, reason: "expected [1, 3, H, W] or [3, H, W]")
        }
        guard channels == 3 else {
            throw ImageError.invalidTensor(shape: shape, reason: "expected 3 channels, got \(channels)")
        }
        let plane = width * height
        self = tensor.withUnsafeBufferPointer { src in
            RGBImage(width: width, height: height) { out in
                for c in 0..<3 {
                    let channel = src.baseAddress! + c * plane
                    switch quantization {
                    case .diffSynth:
                        for i in 0..<plane { out[3 * i + c] = Self.quantizeDiffSynth(channel[i]) }
                    case .diffusers:
                        for i in 0..<plane { out[3 * i + c] = Self.quantizeDiffusers(channel[i]) }
                    }
                }
            }
        }
    }

    /// `((x + 1) * 127.5).clip(0, 255).to(uint8)`: float32 arithmetic, truncating cast.
    @inline(__always)
    static func quantizeDiffSynth(_ x: Float) -> UInt8 {
        let v = (x + 1) * 127.5
        // `!(v >= 0)` also catches NaN, which torch's clip leaves as NaN and the cast maps to 0.
        if !(v >= 0) { return 0 }
        if v >= 255 { return 255 }
        return UInt8(v)
    }

    /// `round((x / 2 + 0.5).clamp(0, 1) * 255)` in float32 with numpy's half-to-even rounding.
    @inline(__always)
    static func quantizeDiffusers(_ x: Float) -> UInt8 {
        var v = x / 2 + 0.5
        if !(v >= 0) { v = 0 }
        if v > 1 { v = 1 }
        return UInt8((v * 255).rounded(.toNearestOrEven))
    }
}
