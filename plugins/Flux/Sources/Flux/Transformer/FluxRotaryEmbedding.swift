import DiffSynth
import Foundation

/// `pos_embed` (diffusers `FluxPosEmbed`, no parameters): each token has three position ids
/// (index, row, column; text tokens are all zero, image patches `(0, row, column)`), and axis
/// `i` rotates `axes_dims_rope[i]` features by `id · θ^(−2k/dim)` with θ = 10000. Pairs are
/// interleaved features `(2k, 2k+1)`, as `apply_rotary_emb(use_real_unbind_dim=-1)` pairs them.
public struct FluxRotaryEmbedding: Sendable {
    /// Feature widths of the three axes.
    public let axesDimensions: [Int]
    /// The base θ (10000 in every FLUX.1 model).
    public let theta: Double

    /// The embedding for `axesDimensions` (summing to the head width).
    public init(axesDimensions: [Int], theta: Double = 10000) {
        self.axesDimensions = axesDimensions
        self.theta = theta
    }

    /// The position ids of the joint sequence `[text, image]`: `textLength` zero rows, then the
    /// `height × width` patch grid row by row (diffusers' `_prepare_latent_image_ids`).
    public static func positionIDs(textLength: Int, height: Int, width: Int) -> [[Double]] {
        Array(repeating: [0, 0, 0], count: textLength)
            + (0..<height).flatMap { row in (0..<width).map { column in [0, Double(row), Double(column)] } }
    }

    /// cos/sin tables `[S, 1, D/2]` for position ids `[S][3]` (one angle per feature pair; the
    /// reference repeats each twice to width D). Angles are computed in Float64 and rounded
    /// once, as diffusers does with `freqs_dtype=torch.float64`.
    public func tables(for ids: [[Double]]) -> RotaryTables {
        let half = axesDimensions.reduce(0, +) / 2
        var cosines = [Float](), sines = [Float]()
        cosines.reserveCapacity(ids.count * half)
        sines.reserveCapacity(ids.count * half)
        for position in ids {
            for (axis, dimension) in axesDimensions.enumerated() {
                // The reference's pos is float32 (exact for these small integers), freqs float64.
                let p = Double(Float(position[axis]))
                for k in 0..<(dimension / 2) {
                    let frequency = 1.0 / Foundation.pow(theta, Double(2 * k) / Double(dimension))
                    let angle = p * frequency
                    cosines.append(Float(Foundation.cos(angle)))
                    sines.append(Float(Foundation.sin(angle)))
                }
            }
        }
        return RotaryTables(cos: Tensor(shape: [ids.count, 1, half], scalars: cosines),
                            sin: Tensor(shape: [ids.count, 1, half], scalars: sines))
    }
}
