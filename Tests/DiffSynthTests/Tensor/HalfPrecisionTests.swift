import Testing
@testable import DiffSynth

@Suite("Frozen weights kept in 16 bits, and the split matrix multiplication")
struct HalfPrecisionTests {
    @Test("the format is lossless for BF16 and F16 checkpoints, BF16-rounded otherwise")
    func formatChoice() {
        var random = TestRandom(3)
        let bf16Values = random.tensor([7, 5]).scalars.map(ReducedPrecision.roundedToBFloat16)
        let bf16 = HalfPrecisionWeight(Tensor(shape: [7, 5], scalars: bf16Values))
        #expect(bf16.format == .bfloat16 && bf16.isExact && bf16.widened().scalars == bf16Values)
        // 1 + 2⁻¹⁰ is an F16 value but not a BF16 one.
        let f16Values = random.tensor([7, 5]).scalars.map { Float(Float16($0)) } + [1 + 0x1p-10]
        let f16 = HalfPrecisionWeight(Tensor(shape: [36], scalars: f16Values))
        #expect(f16.format == .float16 && f16.isExact && f16.widened().scalars == f16Values)
        let wide = random.tensor([4, 9]).scalars
        let rounded = HalfPrecisionWeight(Tensor(shape: [4, 9], scalars: wide))
        #expect(rounded.format == .bfloat16 && !rounded.isExact)
        #expect(rounded.widened().scalars == wide.map(ReducedPrecision.roundedToBFloat16))
    }

    @Test("linear with a 16-bit weight equals linear with its widened weight: output, input and bias gradients, tiled or not",
          arguments: [1 << 22, 3 * 29, 16 * 29])
    func linear(tileBudget: Int) {
        var random = TestRandom(11)
        // 37 output features: tiles of 16 leave a partial last tile.
        let weight = Tensor(shape: [37, 29], scalars: random.tensor([37, 29]).scalars.map(ReducedPrecision.roundedToBFloat16))
        let half = HalfPrecisionWeight(weight)
        let bias = random.tensor([37]).requiringGrad()
        let x = random.tensor([2, 5, 29]).requiringGrad()
        let upstream = random.tensor([2, 5, 37])
        let expected = x.linear(weight: weight, bias: bias)
        (expected * upstream).sum().backward()
        let (dx, db) = (x.grad!, bias.grad!)
        x.zeroGrad(); bias.zeroGrad()
        let y = x.linear(weight: half, bias: bias, tileBudget: tileBudget)
        (y * upstream).sum().backward()
        #expect(maxAbsDifference(y, expected) <= 1e-5)
        #expect(maxAbsDifference(x.grad!, dx) <= 1e-5)
        #expect(maxAbsDifference(bias.grad!, db) <= 1e-5)
    }

    @Test("a frozen parameter keeps its 16-bit copy until it is assigned or made trainable; a trainable one is never narrowed")
    func parameterLifecycle() {
        var random = TestRandom(5)
        let values = random.tensor([6, 4]).scalars.map(ReducedPrecision.roundedToBFloat16)
        let trainable = Parameter(name: "w", value: Tensor(shape: [6, 4], scalars: values))
        #expect(trainable.keepInHalfPrecision() == nil && trainable.halfPrecision == nil)
        let frozen = Parameter(name: "w", value: Tensor(shape: [6, 4], scalars: values), isTrainable: false)
        #expect(frozen.keepInHalfPrecision() != nil && frozen.shape == [6, 4] && frozen.value.scalars == values)
        frozen.isTrainable = true
        #expect(frozen.halfPrecision == nil && frozen.value.scalars == values && frozen.value.requiresGrad)
        frozen.isTrainable = false
        frozen.keepInHalfPrecision()
        frozen.assign(Tensor.zeros([6, 4]))
        #expect(frozen.halfPrecision == nil && frozen.value.scalars == Array(repeating: 0, count: 24))
    }

    /// C = alpha·op(A)·op(B) + beta·C in Double, row-major with leading dimensions.
    static func reference(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float, _ a: [Float], _ lda: Int,
                          _ b: [Float], _ ldb: Int, _ beta: Float, _ c: [Float], _ ldc: Int) -> [Float] {
        var out = c
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let x = ta ? a[p * lda + i] : a[i * lda + p]
                    let y = tb ? b[j * ldb + p] : b[p * ldb + j]
                    sum += Double(x) * Double(y)
                }
                out[i * ldc + j] = Float(Double(alpha) * sum + Double(beta) * Double(c[i * ldc + j]))
            }
        }
        return out
    }

    @Test("GEMMs large enough to split across cores equal the reference, for every transpose, split side and leading dimension",
          arguments: [(false, false), (true, false), (false, true), (true, true)])
    func splitGemm(_ transposes: (Bool, Bool)) {
        let (ta, tb) = transposes
        var random = TestRandom(17)
        // Tall (split by rows) and wide (split by columns), sizes off the 16-panel grid, padded leading dimensions.
        for (m, n, k) in [(203, 75, 61), (45, 301, 59)] where m * n * k >= BLAS.minimumMultiplyAddsPerPart {
            let lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 2, ldc = n + 5
            let a = random.tensor([(ta ? k : m) * lda]).scalars, b = random.tensor([(tb ? n : k) * ldb]).scalars
            let c = random.tensor([m * ldc]).scalars
            var out = c
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    out.withUnsafeMutableBufferPointer { pc in
                        BLAS.gemm(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: 0.5, a: pa.baseAddress!, b: pb.baseAddress!,
                                  beta: 0.25, c: pc.baseAddress!, lda: lda, ldb: ldb, ldc: ldc)
                    }
                }
            }
            let expected = Self.reference(ta, tb, m, n, k, 0.5, a, lda, b, ldb, 0.25, c, ldc)
            let worst = zip(out, expected).map { abs($0 - $1) }.max()!
            #expect(worst <= 1e-4, "\(m)x\(n)x\(k) transposes \(ta) \(tb): max error \(worst)")
        }
    }
}
