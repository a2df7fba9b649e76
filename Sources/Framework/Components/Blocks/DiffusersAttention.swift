/// diffusers' `Attention` module with its default `AttnProcessor2_0`, for token sequences
/// `[B, L, C]`: `to_q`, `to_k`, `to_v` projections, multi-head scaled dot-product attention
/// without a mask, then `to_out.0` (`to_out.1` is dropout and has no parameters).
///
/// Self-attention when ``callAsFunction(_:context:)`` gets no context, cross-attention otherwise.
/// This is a generic diffusers building block (SDXL's UNet `attn1`/`attn2` and the VAE's
/// mid-block attention use it; so would Qwen-Image's joint attention minus its extras), kept in
/// its own file so it can move into the framework unchanged.
public final class DiffusersAttention: Module {
    /// Number of attention heads.
    public let heads: Int
    /// `to_q`.
    public let toQuery: Linear
    /// `to_k`.
    public let toKey: Linear
    /// `to_v`.
    public let toValue: Linear
    /// `to_out.0`.
    public let toOut: Linear

    /// - Parameters:
    ///   - queryDimension: width of the attending tokens (and of the output).
    ///   - contextDimension: width of the attended tokens for cross-attention (nil: self-attention).
    ///   - heads: head count; the inner width is `heads · headDimension`.
    ///   - projectionBias: whether `to_q`/`to_k`/`to_v` have a bias (diffusers `bias`; false in
    ///     the SDXL UNet, true in the VAE).
    ///   - outputBias: whether `to_out.0` has a bias (diffusers `out_bias`, true by default).
    public init(_ scope: ParameterScope, queryDimension: Int, contextDimension: Int? = nil, heads: Int, headDimension: Int,
                projectionBias: Bool, outputBias: Bool = true) {
        let inner = heads * headDimension
        self.heads = heads
        toQuery = Linear(scope["to_q"], inFeatures: queryDimension, outFeatures: inner, bias: projectionBias)
        toKey = Linear(scope["to_k"], inFeatures: contextDimension ?? queryDimension, outFeatures: inner, bias: projectionBias)
        toValue = Linear(scope["to_v"], inFeatures: contextDimension ?? queryDimension, outFeatures: inner, bias: projectionBias)
        toOut = Linear(scope["to_out.0"], inFeatures: inner, outFeatures: queryDimension, bias: outputBias)
    }

    /// Attention of `x` (`[B, Lq, C]`) over `context` (`[B, Lk, Ccontext]`, default `x`).
    public func callAsFunction(_ x: Tensor, context: Tensor? = nil) -> Tensor {
        let source = context ?? x
        let query = toQuery(x).splittingHeads(heads)
        let key = toKey(source).splittingHeads(heads)
        let value = toValue(source).splittingHeads(heads)
        // The framework's attention runs softmax in Float32, which is what diffusers' upcast
        // options ask for; nothing else to do for `upcast_attention` / `upcast_softmax`.
        return toOut(Tensor.scaledDotProductAttention(query: query, key: key, value: value).mergingHeads())
    }
}
