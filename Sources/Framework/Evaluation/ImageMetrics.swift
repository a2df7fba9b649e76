import Foundation

/// Image similarity measures for comparing a student's samples with a teacher's.
///
/// Inputs are `[1, C, H, W]` tensors in [-1, 1] (the VAE's output range); they are mapped to
/// [0, 1] first, so PSNR and SSIM have their usual meaning for 8-bit pictures.
public enum ImageMetrics {
    /// Mean squared error in [0, 1] units.
    public static func mse(_ a: Tensor, _ b: Tensor) -> Float {
        withNoGrad { unit(a).mseLoss(unit(b)).item() }
    }

    /// Peak signal-to-noise ratio in dB, `10 log10(1 / MSE)`; +∞ for identical images.
    public static func psnr(_ a: Tensor, _ b: Tensor) -> Float {
        let e = mse(a, b)
        return e == 0 ? .infinity : 10 * Float(Foundation.log10(1 / Double(e)))
    }

    /// Structural similarity (Wang et al. 2004) with an 11×11 Gaussian window (σ = 1.5),
    /// K1 = 0.01, K2 = 0.03, computed per channel over the valid region and averaged — the
    /// definition of `skimage.metrics.structural_similarity(gaussian_weights=True)` and
    /// `pytorch_msssim.ssim`.
    public static func ssim(_ a: Tensor, _ b: Tensor) -> Float {
        withNoGrad {
            precondition(a.shape == b.shape && a.rank == 4, "ssim needs equal [1, C, H, W] shapes, got \(a.shape) and \(b.shape)")
            let channels = a.shape[1]
            let size = min(11, a.shape[2], a.shape[3])
            let window = gaussianWindow(size: size, sigma: 1.5, channels: channels)
            func blur(_ x: Tensor) -> Tensor { x.conv2d(weight: window, groups: channels) }
            let x = unit(a), y = unit(b)
            let (mx, my) = (blur(x), blur(y))
            let sxx = blur(x * x) - mx * mx, syy = blur(y * y) - my * my, sxy = blur(x * y) - mx * my
            let c1: Float = 0.0001, c2: Float = 0.0009  // (0.01·1)², (0.03·1)²
            let numerator = (mx * my * 2 + c1) * (sxy * 2 + c2)
            let denominator = (mx * mx + my * my + c1) * (sxx + syy + c2)
            return (numerator / denominator).mean().item()
        }
    }

    private static func unit(_ x: Tensor) -> Tensor { (x + 1) * 0.5 }

    private static func gaussianWindow(size: Int, sigma: Float, channels: Int) -> Tensor {
        let center = Float(size - 1) / 2
        let g = (0..<size).map { Foundation.exp(-pow(Float($0) - center, 2) / (2 * sigma * sigma)) }
        let total = g.reduce(0, +)
        let normalized = g.map { $0 / total }
        var values: [Float] = []
        for _ in 0..<channels { for i in 0..<size { for j in 0..<size { values.append(normalized[i] * normalized[j]) } } }
        return Tensor(shape: [channels, 1, size, size], scalars: values)
    }
}
