import CBLAS

/// Thin wrapper over OpenBLAS `cblas_sgemm` for row-major matrices.
enum BLAS {
    /// `C = alpha · op(A) · op(B) + beta · C` with op(A) `m×k`, op(B) `k×n`, C `m×n`, all row-major and dense.
    @inline(__always)
    static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
        beta: Float = 0, c: UnsafeMutablePointer<Float>,
        lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil
    ) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            if beta == 0 { c.update(repeating: 0, count: m * n) } else if beta != 1 {
                for i in 0..<(m * n) { c[i] *= beta }
            }
            return
        }
        cblas_sgemm(CblasRowMajor,
                    transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(lda ?? (transposeA ? m : k)),
                    b, Int32(ldb ?? (transposeB ? k : n)),
                    beta, c, Int32(ldc ?? n))
    }
}
