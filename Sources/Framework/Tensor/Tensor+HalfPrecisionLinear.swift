extension Tensor {
    /// Floats of widened weight one tile may hold (16 MB): big enough that each GEMM stays
    /// efficient, small enough that a 16-bit model never needs its Float32 copy.
    static let widenedTileBudget = 1 << 22

    /// `x Wᵀ + b` for a frozen 16-bit weight `[out, in]`: as ``linear(weight:bias:)``, with the
    /// weight widened to Float32 one tile of output rows at a time (forward) or one tile of
    /// reduction rows at a time (backward). Only the input and the bias receive gradients.
    public func linear(weight: HalfPrecisionWeight, bias: Tensor? = nil) -> Tensor {
        linear(weight: weight, bias: bias, tileBudget: Self.widenedTileBudget)
    }

    /// `tileBudget` bounds the widened floats per tile; tests lower it to exercise tiling.
    func linear(weight: HalfPrecisionWeight, bias: Tensor?, tileBudget: Int) -> Tensor {
        let (inFeatures, outFeatures, rows, outShape, out) = linearOutput(weightShape: weight.shape, bias: bias)
        let tile = Swift.max(16, Swift.min(outFeatures, tileBudget / Swift.max(inFeatures, 1)))
        ScratchBuffer.withFloats(tile * inFeatures) { widened in
            for start in stride(from: 0, to: outFeatures, by: tile) {
                let n = Swift.min(tile, outFeatures - start)
                weight.widen((start * inFeatures)..<((start + n) * inFeatures), into: widened)
                BLAS.gemm(transposeA: false, transposeB: true, m: rows, n: n, k: inFeatures, a: storage.pointer, b: widened,
                          beta: bias == nil ? 0 : 1, c: out.pointer + start, ldc: outFeatures)
            }
        }
        let x = detached()
        let inputs = bias.map { [self, $0] } ?? [self]
        return Tensor.record("linear", inputs: inputs, output: Tensor(shape: outShape, storage: out)) { g, needs in
            var grads: [Tensor?] = []
            if needs[0] {
                // dx = g W, summed over tiles of W's rows.
                let dx = TensorStorage(uninitializedCount: rows * inFeatures)
                ScratchBuffer.withFloats(tile * inFeatures) { widened in
                    for start in stride(from: 0, to: outFeatures, by: tile) {
                        let n = Swift.min(tile, outFeatures - start)
                        weight.widen((start * inFeatures)..<((start + n) * inFeatures), into: widened)
                        BLAS.gemm(transposeA: false, transposeB: false, m: rows, n: inFeatures, k: n,
                                  a: g.storage.pointer + start, b: widened, beta: start == 0 ? 0 : 1, c: dx.pointer,
                                  lda: outFeatures)
                    }
                }
                grads.append(Tensor(shape: x.shape, storage: dx))
            } else { grads.append(nil) }
            if needs.count == 2 {
                grads.append(needs[1] ? g.reshaped([rows, outFeatures]).sum(axes: [0]) : nil)
            }
            return grads
        }
    }
}
