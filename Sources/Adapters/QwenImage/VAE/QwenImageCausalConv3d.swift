import DiffSynth

/// diffusers' `QwenImageCausalConv3d` evaluated on a single frame (T = 1).
///
/// The reference pads time causally: `2·p_t` frames in front of the first frame, none behind (zeros
/// on the first chunk, the cached previous frames afterwards; an image is always a first chunk, so
/// the pad is zeros). With the "same" temporal kernel `k_t = 2·p_t + 1` the only output frame
/// therefore reads the frame through the kernel's **last** temporal tap and zeros through every
/// other tap: the 3-D convolution equals a 2-D convolution with `weight[:, :, k_t − 1]`, the same
/// bias and the same spatial padding. That is exact, not an approximation, and it is what diffusers
/// computes for an image (checked against it in the tests, through its first-frame cache path).
///
/// The parameter keeps the file's 5-D shape `[O, I, k_t, k_h, k_w]`, so checkpoints load and save
/// unchanged; the tap is sliced at each call (cheap next to the convolution, and gradients reach
/// the stored weight).
public final class QwenImageCausalConv3d: UnaryModule {
    /// `weight` `[O, I, k_t, k_h, k_w]`, as stored in the checkpoint.
    public let weight: Parameter
    /// `bias` `[O]`.
    public let bias: Parameter
    /// Declared padding (time, height, width), as the reference's constructor takes it.
    public let padding: (time: Int, height: Int, width: Int)

    /// A causal 3-D convolution with parameters under `scope` (PyTorch's default initialisation).
    public init(_ scope: ParameterScope, inChannels: Int, outChannels: Int, kernel: (time: Int, height: Int, width: Int),
                padding: (time: Int, height: Int, width: Int) = (0, 0, 0)) {
        let fanIn = inChannels * kernel.time * kernel.height * kernel.width
        let bound = 1 / Float(fanIn).squareRoot()
        weight = scope.parameter("weight", shape: [outChannels, inChannels, kernel.time, kernel.height, kernel.width],
                                 initializer: .uniform(bound: bound))
        bias = scope.parameter("bias", shape: [outChannels], initializer: .uniform(bound: bound))
        self.padding = padding
    }

    /// A cubic kernel `k×k×k` with padding `p` on every axis (the reference's `CausalConv3d(in, out, k, padding=p)`).
    public convenience init(_ scope: ParameterScope, inChannels: Int, outChannels: Int, kernelSize: Int, padding: Int = 0) {
        self.init(scope, inChannels: inChannels, outChannels: outChannels, kernel: (kernelSize, kernelSize, kernelSize),
                  padding: (padding, padding, padding))
    }

    /// The convolution of one frame `[N, C, H, W]` (frames of several images may share N).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let s = weight.shape
        precondition(s[2] == 2 * padding.time + 1,
                     "\(weight.name): temporal kernel \(s[2]) with causal padding \(padding.time) does not keep one frame as one frame")
        let lastTap = weight.value.slice(axis: 2, (s[2] - 1)..<s[2]).reshaped([s[0], s[1], s[3], s[4]])
        return x.conv2d(weight: lastTap, bias: bias.value, padding: (padding.height, padding.width))
    }
}
