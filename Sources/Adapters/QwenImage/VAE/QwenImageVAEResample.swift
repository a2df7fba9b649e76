import DiffSynth

/// diffusers' `QwenImageResample` for single images.
///
/// The spatial part is a 2-D convolution `resample.1` applied per frame: downsampling pads one
/// zero column/row on the right/bottom and convolves with stride 2; upsampling repeats pixels 2×
/// ("nearest-exact" at factor 2 picks input ⌊i/2⌋, plain nearest) and convolves to half the
/// channels. The 3-D modes add a temporal `time_conv`, which the reference **skips on the first
/// chunk** (downsample3d caches the frame; upsample3d marks its cache "Rep"), so for an image it
/// never runs: its weights are kept so checkpoints load strictly and save unchanged, and are unused.
public final class QwenImageVAEResample: UnaryModule {
    /// The reference's `mode` strings.
    public enum Mode: String, Sendable {
        case upsample2d, upsample3d, downsample2d, downsample3d
    }

    /// Up or down, 2-D or 3-D.
    public let mode: Mode
    /// `resample.1`.
    public let convolution: Conv2d
    /// `time_conv` (3-D modes only; never evaluated for images).
    public let timeConvolution: QwenImageCausalConv3d?

    /// A resampler of `channels` input channels under `scope`.
    public init(_ scope: ParameterScope, channels: Int, mode: Mode) {
        self.mode = mode
        switch mode {
        case .upsample2d, .upsample3d:
            convolution = Conv2d(scope["resample.1"], inChannels: channels, outChannels: channels / 2, kernelSize: (3, 3), padding: (1, 1))
        case .downsample2d, .downsample3d:
            convolution = Conv2d(scope["resample.1"], inChannels: channels, outChannels: channels, kernelSize: (3, 3), stride: (2, 2))
        }
        switch mode {
        case .upsample3d:
            timeConvolution = QwenImageCausalConv3d(scope["time_conv"], inChannels: channels, outChannels: channels * 2,
                                                    kernel: (3, 1, 1), padding: (1, 0, 0))
        case .downsample3d:
            timeConvolution = QwenImageCausalConv3d(scope["time_conv"], inChannels: channels, outChannels: channels, kernel: (3, 1, 1))
        case .upsample2d, .downsample2d:
            timeConvolution = nil
        }
    }

    /// `x`: `[N, C, H, W]` → `[N, C, H/2, W/2]` (down) or `[N, C/2, 2H, 2W]` (up).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        switch mode {
        case .upsample2d, .upsample3d:
            return convolution(x.upsampleNearest(factor: 2))
        case .downsample2d, .downsample3d:
            // ZeroPad2d((0, 1, 0, 1)): one column on the right, one row at the bottom.
            return convolution(x.padded([(0, 1), (0, 1)]))
        }
    }
}
