import DiffSynth

/// diffusers' Qwen-Image "true CFG": classifier-free guidance followed by a per-token norm rescale,
/// `comb = neg + s·(pos − neg)`, `v = comb · ‖pos‖ / ‖comb‖`, with the L2 norms taken over the 64
/// channels of each packed 2×2 patch token (not per latent pixel). DiffSynth-Studio skips the
/// rescale; diffusers is the reference here.
public enum QwenImageTrueCFG {
    /// Guidance on unpacked latent predictions `[B, C, H, W]` (packs to tokens for the norms, unpacks back).
    public static func guide(positive: Tensor, negative: Tensor, scale: Float) -> Tensor {
        let (h, w) = (positive.shape[2], positive.shape[3])
        let pos = LatentPatchPacking.pack(positive), neg = LatentPatchPacking.pack(negative)
        return LatentPatchPacking.unpack(guidePacked(positive: pos, negative: neg, scale: scale), height: h, width: w)
    }

    /// The same on packed token predictions `[B, S, 4C]`.
    public static func guidePacked(positive: Tensor, negative: Tensor, scale: Float) -> Tensor {
        let combined = negative + (positive - negative) * scale
        func norm(_ x: Tensor) -> Tensor { (x * x).sum(axis: -1, keepDims: true).sqrt() }
        return combined * (norm(positive) / norm(combined))
    }
}
