import DiffSynth
import Foundation

/// The DiT's 3-axis RoPE (diffusers `QwenEmbedRope`, θ = 10000, `scale_rope=True`).
///
/// The head's features are split into a frame, a row and a column part (`axes_dims_rope`, e.g.
/// 16/56/56); each axis has its own frequency ladder `θ^(−2m/d_axis)` (the exponent uses the
/// axis width, not the head width). Image rows and columns are centred — row r of h sits at
/// `r − (h − ⌊h/2⌋)`, so the negative side gets the extra row when h is odd — and every text
/// token k sits at `max(⌊h/2⌋, ⌊w/2⌋) + k` on all three axes, right after the largest image
/// coordinate. Pairs are interleaved features (2m, 2m+1): ``RotaryStyle/interleaved``.
public struct QwenImageRotaryEmbedding: Sendable {
    /// Widths of the frame, row and column parts.
    public let axesDimensions: [Int]
    /// RoPE base (10000, hard-coded in diffusers).
    public let theta: Float

    /// RoPE over three axes of the given (even) widths.
    public init(axesDimensions: [Int], theta: Float = 10000) {
        precondition(axesDimensions.count == 3 && axesDimensions.allSatisfy { $0 % 2 == 0 },
                     "QwenImage RoPE needs three even axis widths, got \(axesDimensions)")
        self.axesDimensions = axesDimensions
        self.theta = theta
    }

    /// Inverse frequencies of one axis, computed as torch does in float32:
    /// `1 / theta ** (arange(0, d, 2) / d)`.
    private func inverseFrequencies(_ width: Int) -> [Float] {
        stride(from: 0, to: width, by: 2).map { 1 / Foundation.pow(theta, Float($0) / Float(width)) }
    }

    /// Tables for an image grid of `frames × height × width` tokens (row-major, the packing order)
    /// and `textLength` text tokens. `frameIndex` is the image's index in a multi-image prompt (0 for
    /// text-to-image).
    public func tables(frames: Int = 1, height: Int, width: Int, textLength: Int,
                       frameIndex: Int = 0) -> (image: RotaryTables, text: RotaryTables) {
        let ladders = axesDimensions.map(inverseFrequencies)
        let half = ladders.reduce(0) { $0 + $1.count }
        // The angle vector of one token, from its (frame, row, column) positions.
        func angles(_ f: Int, _ r: Int, _ c: Int) -> [Float] {
            // float32 products, as torch.outer(int positions, float32 frequencies).
            ladders[0].map { Float(f) * $0 } + ladders[1].map { Float(r) * $0 } + ladders[2].map { Float(c) * $0 }
        }
        var image: [Float] = []
        image.reserveCapacity(frames * height * width * half)
        let rowOffset = height - height / 2, columnOffset = width - width / 2
        for f in 0..<frames {
            for r in 0..<height {
                for c in 0..<width { image += angles(frameIndex + f, r - rowOffset, c - columnOffset) }
            }
        }
        let textStart = Swift.max(height / 2, width / 2)
        var text: [Float] = []
        text.reserveCapacity(textLength * half)
        for k in 0..<textLength { text += angles(textStart + k, textStart + k, textStart + k) }
        func table(_ values: [Float], _ count: Int) -> RotaryTables {
            let shape = [count, 1, half]
            return RotaryTables(cos: Tensor(shape: shape, scalars: values.map { Foundation.cos($0) }),
                                sin: Tensor(shape: shape, scalars: values.map { Foundation.sin($0) }))
        }
        return (table(image, frames * height * width), table(text, textLength))
    }
}
