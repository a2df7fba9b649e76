/// Stride-1 convolutions without a column matrix ("shifted GEMM").
///
/// Pad the input once to `Hp × Wp`; then for kernel tap (i, j), output pixel (y, x) reads padded
/// pixel (y + i, x + j), i.e. flat index `n + i·Wp + j` with `n = y·Wp + x`. Computing the output
/// over the padded width (`Wp` columns per row, the last `kW − 1` of them discarded) makes every
/// tap's input a *contiguous window* of each padded channel plane, so the whole convolution is
/// kH·kW GEMMs straight on the padded input — no im2col copy nine times the input's size. The
/// gradients are the same GEMMs transposed; the discarded columns carry zero gradient, so the
/// windows' overhang (at most kW − 1 elements past a plane) only ever reads or adds zeros.
struct ShiftedConvolution {
    let geo: Conv2DGeometry
    var paddedHeight: Int { geo.height + 2 * geo.padding.0 }
    var paddedWidth: Int { geo.width + 2 * geo.padding.1 }
    var paddedPlane: Int { paddedHeight * paddedWidth }
    /// Padded channel planes of one group, plus a tail so the last window's overhang stays in bounds.
    var paddedCount: Int { geo.inPerGroup * paddedPlane + geo.kernelWidth }
    /// Columns of the extended output: every output row at the padded width.
    var extendedColumns: Int { geo.outHeight * paddedWidth }
    var taps: Int { geo.kernelHeight * geo.kernelWidth }
    func shift(_ tap: Int) -> Int { (tap / geo.kernelWidth) * paddedWidth + tap % geo.kernelWidth }

    /// Whether this convolution can and should run this way: stride and dilation 1, and a large
    /// image relative to the channel count. (Each tap's GEMM has only C in its inner dimension;
    /// measured on this project's 2-core machine, that beats im2col's one GEMM over 9·C when the
    /// image has at least 8 pixels per input channel, and loses below.)
    static func applies(_ geo: Conv2DGeometry) -> Bool {
        geo.stride == (1, 1) && geo.dilation == (1, 1) && !geo.isPointwise
            && geo.outHeight * (geo.width + 2 * geo.padding.1) >= 8 * geo.inPerGroup
    }

    /// Weights `[O, C/g, kH, kW]` of group `g` rearranged to `[taps, O/g, C/g]`: one dense matrix per tap.
    func tapWeights(_ weight: UnsafePointer<Float>, group g: Int) -> [Float] {
        let (o, c, t) = (geo.outPerGroup, geo.inPerGroup, taps)
        var result = [Float](repeating: 0, count: t * o * c)
        let base = weight + g * o * c * t
        for oi in 0..<o { for ci in 0..<c { for ti in 0..<t { result[(ti * o + oi) * c + ci] = base[(oi * c + ci) * t + ti] } } }
        return result
    }

    /// Copies one group's channels into the zero-bordered padded buffer.
    func pad(_ image: UnsafePointer<Float>, into padded: UnsafeMutablePointer<Float>) {
        padded.update(repeating: 0, count: paddedCount)
        let (h, w, ph, pw, wp) = (geo.height, geo.width, geo.padding.0, geo.padding.1, paddedWidth)
        for c in 0..<geo.inPerGroup {
            for y in 0..<h { (padded + c * paddedPlane + (y + ph) * wp + pw).update(from: image + (c * h + y) * w, count: w) }
        }
    }

    /// out (`O/g` planes of `outHeight × outWidth`) = Σ_taps W_tap · window_tap.
    func forward(padded: UnsafePointer<Float>, tapWeights: UnsafePointer<Float>, extended: UnsafeMutablePointer<Float>,
                 into result: UnsafeMutablePointer<Float>) {
        let (o, c) = (geo.outPerGroup, geo.inPerGroup)
        for t in 0..<taps {
            BLAS.gemm(transposeA: false, transposeB: false, m: o, n: extendedColumns, k: c, a: tapWeights + t * o * c,
                      b: padded + shift(t), beta: t == 0 ? 0 : 1, c: extended, ldb: paddedPlane)
        }
        let (oh, ow, wp) = (geo.outHeight, geo.outWidth, paddedWidth)
        for oi in 0..<o { for y in 0..<oh { (result + (oi * oh + y) * ow).update(from: extended + oi * extendedColumns + y * wp, count: ow) } }
    }

    /// Spreads an output gradient over the extended layout, zero in the discarded columns.
    func extend(_ gradient: UnsafePointer<Float>, into extended: UnsafeMutablePointer<Float>) {
        extended.update(repeating: 0, count: geo.outPerGroup * extendedColumns)
        let (oh, ow, wp) = (geo.outHeight, geo.outWidth, paddedWidth)
        for oi in 0..<geo.outPerGroup {
            for y in 0..<oh { (extended + oi * extendedColumns + y * wp).update(from: gradient + (oi * oh + y) * ow, count: ow) }
        }
    }

    /// dW_tap += gradient · window_tapᵀ, into a `[taps, O/g, C/g]` buffer.
    func weightGradient(extended: UnsafePointer<Float>, padded: UnsafePointer<Float>, into tapGradients: UnsafeMutablePointer<Float>) {
        let (o, c) = (geo.outPerGroup, geo.inPerGroup)
        for t in 0..<taps {
            BLAS.gemm(transposeA: false, transposeB: true, m: o, n: c, k: extendedColumns, a: extended, b: padded + shift(t),
                      beta: 1, c: tapGradients + t * o * c, ldb: paddedPlane)
        }
    }

    /// Padded input gradient: window_tap += W_tapᵀ · gradient for every tap, then the interior is
    /// added into `gradInput` (one group's channels).
    func inputGradient(extended: UnsafePointer<Float>, tapWeights: UnsafePointer<Float>, padded: UnsafeMutablePointer<Float>,
                       into gradInput: UnsafeMutablePointer<Float>) {
        let (o, c) = (geo.outPerGroup, geo.inPerGroup)
        padded.update(repeating: 0, count: paddedCount)
        for t in 0..<taps {
            BLAS.gemm(transposeA: true, transposeB: false, m: c, n: extendedColumns, k: o, a: tapWeights + t * o * c, b: extended,
                      beta: 1, c: padded + shift(t), ldc: paddedPlane)
        }
        let (h, w, ph, pw, wp) = (geo.height, geo.width, geo.padding.0, geo.padding.1, paddedWidth)
        for ci in 0..<c {
            for y in 0..<h {
                let src = padded + ci * paddedPlane + (y + ph) * wp + pw, dst = gradInput + (ci * h + y) * w
                for x in 0..<w { dst[x] += src[x] }
            }
        }
    }

    /// `[taps, O/g, C/g]` tap gradients added into the `[O, C/g, kH, kW]` weight gradient of group `g`.
    func accumulate(tapGradients: UnsafePointer<Float>, group g: Int, into gradWeight: UnsafeMutablePointer<Float>) {
        let (o, c, t) = (geo.outPerGroup, geo.inPerGroup, taps)
        let base = gradWeight + g * o * c * t
        for oi in 0..<o { for ci in 0..<c { for ti in 0..<t { base[(oi * c + ci) * t + ti] += tapGradients[(ti * o + oi) * c + ci] } } }
    }
}
