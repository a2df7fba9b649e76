// The basic layers, with PyTorch's parameter names, shapes and default initialisation.

/// A layer that maps one tensor to one tensor.
public protocol UnaryModule: Module {
    func callAsFunction(_ x: Tensor) -> Tensor
}

/// `y = x Wᵀ + b` (PyTorch `nn.Linear`): `weight [out, in]`, optional `bias [out]`.
public final class Linear: UnaryModule {
    /// The module's checkpoint path, e.g. `transformer_blocks.0.attn.to_q`.
    public let path: String
    public let weight: Parameter
    public let bias: Parameter?
    /// Low-rank adapters applied on top of the weight (see ``LoRAAdapter``), in order.
    public internal(set) var adapters: [LoRAAdapter] = []

    public init(_ scope: ParameterScope, inFeatures: Int, outFeatures: Int, bias: Bool = true) {
        path = scope.path
        let bound = 1 / Float(inFeatures).squareRoot()
        weight = scope.parameter("weight", shape: [outFeatures, inFeatures], initializer: .uniform(bound: bound))
        self.bias = bias ? scope.parameter("bias", shape: [outFeatures], initializer: .uniform(bound: bound)) : nil
    }

    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        var y = weight.halfPrecision.map { x.linear(weight: $0, bias: bias?.value) } ?? x.linear(weight: weight.value, bias: bias?.value)
        for adapter in adapters { y = y + adapter(x) }
        return y
    }
}

/// 2-D convolution (PyTorch `nn.Conv2d`): `weight [out, in/groups, kH, kW]`, optional `bias [out]`.
public final class Conv2d: UnaryModule {
    public let path: String
    public let weight: Parameter
    public let bias: Parameter?
    public let stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int)
    public let groups: Int

    public init(_ scope: ParameterScope, inChannels: Int, outChannels: Int, kernelSize: (Int, Int),
                stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1),
                groups: Int = 1, bias: Bool = true) {
        precondition(inChannels % groups == 0 && outChannels % groups == 0, "\(scope.path): channels \(inChannels)→\(outChannels) not divisible by groups \(groups)")
        path = scope.path
        let fanIn = inChannels / groups * kernelSize.0 * kernelSize.1
        let bound = 1 / Float(fanIn).squareRoot()
        weight = scope.parameter("weight", shape: [outChannels, inChannels / groups, kernelSize.0, kernelSize.1],
                                 initializer: .uniform(bound: bound))
        self.bias = bias ? scope.parameter("bias", shape: [outChannels], initializer: .uniform(bound: bound)) : nil
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.conv2d(weight: weight.value, bias: bias?.value, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
}

/// Group normalisation (PyTorch `nn.GroupNorm`) over NC… tensors.
public final class GroupNorm: UnaryModule {
    public let groups: Int
    public let eps: Float
    public let weight: Parameter?
    public let bias: Parameter?

    public init(_ scope: ParameterScope, groups: Int, channels: Int, eps: Float = 1e-5, affine: Bool = true) {
        precondition(channels % groups == 0, "\(scope.path): \(channels) channels not divisible into \(groups) groups")
        self.groups = groups
        self.eps = eps
        weight = affine ? scope.parameter("weight", shape: [channels], initializer: .constant(1)) : nil
        bias = affine ? scope.parameter("bias", shape: [channels], initializer: .constant(0)) : nil
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.groupNorm(groups: groups, weight: weight?.value, bias: bias?.value, eps: eps)
    }
}

/// Layer normalisation over the last dimension (PyTorch `nn.LayerNorm(dim)`), with or without
/// the affine weight and bias.
public final class LayerNorm: UnaryModule {
    public let eps: Float
    public let weight: Parameter?
    public let bias: Parameter?

    public init(_ scope: ParameterScope, dimension: Int, eps: Float = 1e-5, affine: Bool = true, bias: Bool = true) {
        self.eps = eps
        weight = affine ? scope.parameter("weight", shape: [dimension], initializer: .constant(1)) : nil
        self.bias = affine && bias ? scope.parameter("bias", shape: [dimension], initializer: .constant(0)) : nil
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.layerNorm(weight: weight?.value, bias: bias?.value, eps: eps)
    }
}

/// RMS normalisation over the last dimension with a learned scale (diffusers `RMSNorm`,
/// transformers `Qwen2RMSNorm`).
public final class RMSNorm: UnaryModule {
    public let eps: Float
    public let weight: Parameter?

    public init(_ scope: ParameterScope, dimension: Int, eps: Float = 1e-6, affine: Bool = true) {
        self.eps = eps
        weight = affine ? scope.parameter("weight", shape: [dimension], initializer: .constant(1)) : nil
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.rmsNorm(weight: weight?.value, eps: eps)
    }
}

/// A lookup table of vectors (PyTorch `nn.Embedding`): `weight [count, dimension]`.
public final class Embedding: Module {
    public let weight: Parameter

    public init(_ scope: ParameterScope, count: Int, dimension: Int) {
        weight = scope.parameter("weight", shape: [count, dimension], initializer: .normal(std: 1))
    }

    /// The vectors of `ids`, shaped `shape + [dimension]` (default `[ids.count, dimension]`).
    public func callAsFunction(_ ids: [Int], shape: [Int]? = nil) -> Tensor {
        weight.value.gatherRows(ids, shape: shape)
    }
}
