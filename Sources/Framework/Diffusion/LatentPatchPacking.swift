/// The 2×2 patch packing between VAE latents and transformer tokens (diffusers
/// `_pack_latents` / `_unpack_latents`, DiffSynth's `B C (H P) (W Q) -> B (H W) (C P Q)`), shared
/// by the MMDiT families whose transformers see 2×2 latent patches as tokens (Qwen-Image and
/// FLUX pack identically).
///
/// Token index is row-major over the `(H/2) × (W/2)` patch grid, and the channels of a token are
/// ordered channel-major, then patch row, then patch column: feature `c·4 + dy·2 + dx`.
public enum LatentPatchPacking {
    /// `[B, C, H, W]` → `[B, (H/2)(W/2), 4C]`.
    public static func pack(_ latents: Tensor) -> Tensor {
        precondition(latents.rank == 4 && latents.shape[2] % 2 == 0 && latents.shape[3] % 2 == 0,
                     "packing needs [B, C, H, W] latents with even H and W, got \(latents.shape)")
        let (b, c, h, w) = (latents.shape[0], latents.shape[1], latents.shape[2], latents.shape[3])
        return latents.reshaped([b, c, h / 2, 2, w / 2, 2]).permuted([0, 2, 4, 1, 3, 5]).reshaped([b, (h / 2) * (w / 2), c * 4])
    }

    /// `[B, (H/2)(W/2), 4C]` → `[B, C, H, W]`, the exact inverse of ``pack(_:)``.
    public static func unpack(_ tokens: Tensor, height: Int, width: Int) -> Tensor {
        precondition(tokens.rank == 3 && tokens.shape[1] == (height / 2) * (width / 2) && tokens.shape[2] % 4 == 0,
                     "unpacking \(tokens.shape) into a \(height)×\(width) latent grid")
        let (b, c) = (tokens.shape[0], tokens.shape[2] / 4)
        return tokens.reshaped([b, height / 2, width / 2, c, 2, 2]).permuted([0, 3, 1, 4, 2, 5]).reshaped([b, c, height, width])
    }
}
