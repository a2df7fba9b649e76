/// diffusers' `Downsample2D` with a convolution: 3×3, stride 2, under `downsamplers.0.conv`.
///
/// The UNet pads symmetrically (`downsample_padding = 1`); the VAE encoder uses padding 0 and
/// instead pads one zero column on the right and one zero row at the bottom first
/// (`F.pad(x, (0, 1, 0, 1))`), which shifts the sampling grid — both are kept exactly.
public final class Downsample2D: Module {
    /// `conv`: 3×3, stride 2.
    public let conv: Conv2d
    /// True for the VAE's right/bottom-only padding.
    public let padsRightAndBottom: Bool

    /// A downsampler of `channels`; `padding` 0 selects the VAE's right/bottom padding.
    public init(_ scope: ParameterScope, channels: Int, padding: Int) {
        conv = Conv2d(scope["conv"], inChannels: channels, outChannels: channels, kernelSize: (3, 3), stride: (2, 2),
                      padding: (padding, padding))
        padsRightAndBottom = padding == 0
    }

    /// `x` `[B, C, H, W]` at half the resolution (rounded up).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        conv(padsRightAndBottom ? x.padded([(0, 1), (0, 1)]) : x)
    }
}

/// diffusers' `Upsample2D` with a convolution: nearest-neighbour resize (2× by default, or to an
/// explicit size), then a 3×3 convolution under `upsamplers.0.conv`.
public final class Upsample2D: Module {
    /// `conv`: 3×3 after the resize.
    public let conv: Conv2d

    /// An upsampler of `channels`.
    public init(_ scope: ParameterScope, channels: Int) {
        conv = Conv2d(scope["conv"], inChannels: channels, outChannels: channels, kernelSize: (3, 3), padding: (1, 1))
    }

    /// - Parameter size: the output size (height, width); nil doubles both sides. The UNet passes
    ///   the size of the next skip tensor when the latent size is not a multiple of its overall
    ///   downsampling factor (diffusers' `upsample_size`).
    public func callAsFunction(_ x: Tensor, size: (height: Int, width: Int)? = nil) -> Tensor {
        conv(x.resizedNearest(height: size?.height ?? 2 * x.shape[2], width: size?.width ?? 2 * x.shape[3]))
    }
}

extension Tensor {
    /// Nearest-neighbour resize of an NCHW tensor to `height × width`, PyTorch's
    /// `F.interpolate(mode="nearest", size=...)`: source index `min(floor(i · in/out), in − 1)`
    /// with the ratio in Float32. Exact doubling uses the framework's fused 2× kernel; other sizes
    /// gather whole rows and columns (with their scatter-add gradient).
    public func resizedNearest(height: Int, width: Int) -> Tensor {
        precondition(rank == 4, "resizedNearest needs NCHW input, got \(shape)")
        let (inHeight, inWidth) = (shape[2], shape[3])
        if height == 2 * inHeight && width == 2 * inWidth { return upsampleNearest(factor: 2) }
        func sourceIndices(_ input: Int, _ output: Int) -> [Int] {
            let scale = Float(input) / Float(output)
            return (0..<output).map { Swift.min(Int((Float($0) * scale).rounded(.down)), input - 1) }
        }
        var x = self
        if height != inHeight {
            // [N, C, H, W] → [H, N·C·W]: rows of the table are input rows.
            let table = x.permuted([2, 0, 1, 3])
            let gathered = table.reshaped([inHeight, -1]).gatherRows(sourceIndices(inHeight, height))
            x = gathered.reshaped([height, shape[0], shape[1], inWidth]).permuted([1, 2, 0, 3])
        }
        if width != inWidth {
            let table = x.permuted([3, 0, 1, 2])
            let gathered = table.reshaped([inWidth, -1]).gatherRows(sourceIndices(inWidth, width))
            x = gathered.reshaped([width, shape[0], shape[1], height]).permuted([1, 2, 3, 0])
        }
        return x
    }
}
