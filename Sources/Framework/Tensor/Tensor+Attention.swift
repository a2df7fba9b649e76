import Foundation

// Scaled dot-product attention, computed one (batch, head, query chunk) at a time so that no
// more than one chunk of scores per core is ever materialised, forward or backward. The backward
// pass recomputes the probabilities from the saved log-sum-exp (the FlashAttention recipe)
// instead of storing them. With at least as many heads as cores, each core takes whole heads
// (its GEMMs and softmax rows back to back, no hand-off between them); otherwise the cores split
// each head's GEMMs and rows.

extension Tensor {
    /// `softmax(q kᵀ · scale + mask) v`, PyTorch `F.scaled_dot_product_attention`.
    ///
    /// - Parameters:
    ///   - query: `[B, H, Lq, D]`.
    ///   - key: `[B, Hkv, Lk, D]`; `H` must be a multiple of `Hkv` (grouped-query attention:
    ///     query head `h` reads key/value head `h / (H / Hkv)`).
    ///   - value: `[B, Hkv, Lk, Dv]`.
    ///   - mask: optional additive mask broadcastable to `[B, H, Lq, Lk]` (use −∞ to exclude a
    ///     key; see ``Tensor/attentionMask(keep:)``). Masks never receive gradients.
    ///   - scale: defaults to `1 / sqrt(D)`.
    /// - Returns: `[B, H, Lq, Dv]`.
    public static func scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor,
                                                 mask: Tensor? = nil, scale: Float? = nil) -> Tensor {
        scaledDotProductAttention(query: query, key: key, value: value, mask: mask, scale: scale, scoreBudget: 1 << 18)
    }

    /// `scoreBudget` bounds the scores materialised at once (rows × keys); tests lower it to
    /// exercise chunking on small inputs.
    static func scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor,
                                          mask: Tensor?, scale: Float?, scoreBudget: Int) -> Tensor {
        precondition(query.rank == 4 && key.rank == 4 && value.rank == 4, "attention needs [B, H, L, D] tensors")
        let geo = AttentionGeometry(query: query.shape, key: key.shape, value: value.shape,
                                    scale: scale ?? 1 / Float(query.shape[3]).squareRoot(), mask: mask?.shape,
                                    scoreBudget: scoreBudget)
        let q = query.detached(), k = key.detached(), v = value.detached()
        let m = mask?.detached()
        let (out, lse) = geo.forward(q, k, v, m)
        return Tensor.record("attention", inputs: [query, key, value], output: out) { g, needs in
            let grads = geo.backward(g, q, k, v, m, out, lse, needs: needs)
            return [grads.query, grads.key, grads.value]
        }
    }

    /// An additive attention mask from a keep-mask: 1 (keep) → 0, 0 (drop) → −∞.
    public static func attentionMask(keep: Tensor) -> Tensor {
        Kernels.map(keep) { x, y, r in for i in r { y[i] = x[i] != 0 ? 0 : -.infinity } }
    }
}

struct AttentionGeometry {
    let batch: Int, heads: Int, kvHeads: Int, queryLength: Int, keyLength: Int, headDim: Int, valueDim: Int
    let scale: Float
    let maskStrides: [Int]?   // strides over [B, H, Lq, Lk]
    /// Query rows per chunk, so that a chunk's scores fit the budget (1 MB by default).
    let chunk: Int

    init(query: [Int], key: [Int], value: [Int], scale: Float, mask: [Int]?, scoreBudget: Int) {
        (batch, heads, queryLength, headDim) = (query[0], query[1], query[2], query[3])
        (kvHeads, keyLength, valueDim) = (key[1], key[2], value[3])
        precondition(key[0] == batch && value[0] == batch && key[3] == headDim && value[1] == kvHeads && value[2] == keyLength,
                     "attention shapes do not fit: query \(query), key \(key), value \(value)")
        precondition(kvHeads > 0 && heads % kvHeads == 0, "attention: \(heads) query heads are not a multiple of \(kvHeads) key/value heads")
        self.scale = scale
        maskStrides = mask.map { Broadcasting.strides(of: $0, broadcastTo: [query[0], query[1], query[2], key[2]]) }
        chunk = Swift.max(1, Swift.min(query[2], scoreBudget / Swift.max(key[2], 1)))
    }

    /// Offsets of head (b, h)'s query, key and value matrices.
    func offsets(_ b: Int, _ h: Int) -> (q: Int, k: Int, v: Int, o: Int, row: Int) {
        let kvh = h / (heads / kvHeads)
        return (((b * heads + h) * queryLength) * headDim, ((b * kvHeads + kvh) * keyLength) * headDim,
                ((b * kvHeads + kvh) * keyLength) * valueDim, ((b * heads + h) * queryLength) * valueDim,
                (b * heads + h) * queryLength)
    }

    /// Fills `scores` (rows × Lk) with scale · Q Kᵀ + mask for query rows `start..<start+rows`.
    func scores(_ q: UnsafePointer<Float>, _ k: UnsafePointer<Float>, _ mask: Tensor?, b: Int, h: Int,
                start: Int, rows: Int, into scores: UnsafeMutablePointer<Float>) {
        BLAS.gemm(transposeA: false, transposeB: true, m: rows, n: keyLength, k: headDim, alpha: scale,
                  a: q + start * headDim, b: k, c: scores)
        if let mask, let ms = maskStrides {
            let lk = keyLength
            for i in 0..<rows {
                let maskRow = mask.storage.pointer + b * ms[0] + h * ms[1] + (start + i) * ms[2]
                let row = scores + i * lk
                if ms[3] == 0 { let v = maskRow[0]; for j in 0..<lk { row[j] += v } } else { for j in 0..<lk { row[j] += maskRow[j] } }
            }
        }
    }

    /// Runs `body(first..<end)` over head items split into one contiguous group per core when
    /// there are enough items; otherwise one group, whose GEMMs and row loops use the cores.
    func forEachItemGroup(_ items: Int, _ body: (Range<Int>) -> Void) {
        let groups = items >= Parallel.coreCount && !Parallel.isInsideParallelRegion ? Parallel.coreCount : 1
        Parallel.forEachPart(groups) { g in body((items * g / groups)..<(items * (g + 1) / groups)) }
    }

    func forward(_ q: Tensor, _ k: Tensor, _ v: Tensor, _ mask: Tensor?) -> (Tensor, TensorStorage) {
        let out = TensorStorage(uninitializedCount: batch * heads * queryLength * valueDim)
        let lse = TensorStorage(uninitializedCount: batch * heads * queryLength)
        let lk = keyLength
        forEachItemGroup(batch * heads) { items in
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: chunk * keyLength)
            defer { buffer.deallocate() }
            nonisolated(unsafe) let s = buffer
            for item in items {
                let b = item / heads, h = item % heads
                let o = offsets(b, h)
                for start in stride(from: 0, to: queryLength, by: chunk) {
                    let rows = Swift.min(chunk, queryLength - start)
                    scores(q.storage.pointer + o.q, k.storage.pointer + o.k, mask, b: b, h: h, start: start, rows: rows, into: buffer)
                    nonisolated(unsafe) let lsePointer = lse.pointer + o.row + start
                    Parallel.forEachRange(rows, costPerElement: 4 * lk) { range in
                        for i in range {
                            let row = s + i * lk
                            let m = RowMath.max(row, lk)
                            if m == -.infinity {
                                // Every key masked: no probability mass, output zeros.
                                row.update(repeating: 0, count: lk)
                                lsePointer[i] = -.infinity
                                continue
                            }
                            for j in 0..<lk { row[j] = FastMath.exp(row[j] - m) }
                            let total = RowMath.sum(row, lk)
                            let inverse = 1 / total
                            for j in 0..<lk { row[j] *= inverse }
                            lsePointer[i] = m + Foundation.log(total)
                        }
                    }
                    BLAS.gemm(transposeA: false, transposeB: false, m: rows, n: valueDim, k: keyLength,
                              a: buffer, b: v.storage.pointer + o.v, c: out.pointer + o.o + start * valueDim)
                }
            }
        }
        return (Tensor(shape: [batch, heads, queryLength, valueDim], storage: out), lse)
    }

    func backward(_ g: Tensor, _ q: Tensor, _ k: Tensor, _ v: Tensor, _ mask: Tensor?, _ out: Tensor, _ lse: TensorStorage,
                  needs: [Bool]) -> (query: Tensor?, key: Tensor?, value: Tensor?) {
        let dq = Tensor.zeros(q.shape), dk = Tensor.zeros(k.shape), dv = Tensor.zeros(v.shape)
        let lk = keyLength, dvDim = valueDim, group = heads / kvHeads
        // Items are (batch, key/value head): the query heads sharing a key/value head accumulate
        // into the same dK and dV, so they stay on one core.
        forEachItemGroup(batch * kvHeads) { items in
            let probabilities = UnsafeMutablePointer<Float>.allocate(capacity: chunk * keyLength)
            let gradScores = UnsafeMutablePointer<Float>.allocate(capacity: chunk * keyLength)
            let rowDot = UnsafeMutablePointer<Float>.allocate(capacity: chunk)
            defer { probabilities.deallocate(); gradScores.deallocate(); rowDot.deallocate() }
            nonisolated(unsafe) let p = probabilities
            nonisolated(unsafe) let ds = gradScores
            nonisolated(unsafe) let dot = rowDot
            for item in items {
                let b = item / kvHeads, kvh = item % kvHeads
                for h in (kvh * group)..<((kvh + 1) * group) {
                    let o = offsets(b, h)
                    for start in stride(from: 0, to: queryLength, by: chunk) {
                        let rows = Swift.min(chunk, queryLength - start)
                        scores(q.storage.pointer + o.q, k.storage.pointer + o.k, mask, b: b, h: h, start: start, rows: rows, into: probabilities)
                        nonisolated(unsafe) let lsePointer = UnsafePointer(lse.pointer + o.row + start)
                        nonisolated(unsafe) let gradOut = UnsafePointer(g.storage.pointer + o.o + start * valueDim)
                        nonisolated(unsafe) let output = UnsafePointer(out.storage.pointer + o.o + start * valueDim)
                        Parallel.forEachRange(rows, costPerElement: 2 * lk) { range in
                            for i in range {
                                let row = p + i * lk, l = lsePointer[i]
                                if l == -.infinity { row.update(repeating: 0, count: lk) } else {
                                    for j in 0..<lk { row[j] = FastMath.exp(row[j] - l) }
                                }
                                dot[i] = RowMath.dot(gradOut + i * dvDim, output + i * dvDim, dvDim)
                            }
                        }
                        if needs[2] {
                            BLAS.gemm(transposeA: true, transposeB: false, m: keyLength, n: valueDim, k: rows,
                                      a: probabilities, b: gradOut, beta: 1, c: dv.storage.pointer + o.v)
                        }
                        guard needs[0] || needs[1] else { continue }
                        BLAS.gemm(transposeA: false, transposeB: true, m: rows, n: keyLength, k: valueDim,
                                  a: gradOut, b: v.storage.pointer + o.v, c: gradScores)
                        Parallel.forEachRange(rows, costPerElement: lk) { range in
                            for i in range {
                                let pr = p + i * lk, dr = ds + i * lk, d = dot[i]
                                for j in 0..<lk { dr[j] = pr[j] * (dr[j] - d) }
                            }
                        }
                        if needs[0] {
                            BLAS.gemm(transposeA: false, transposeB: false, m: rows, n: headDim, k: keyLength, alpha: scale,
                                      a: gradScores, b: k.storage.pointer + o.k, c: dq.storage.pointer + o.q + start * headDim)
                        }
                        if needs[1] {
                            BLAS.gemm(transposeA: true, transposeB: false, m: keyLength, n: headDim, k: rows, alpha: scale,
                                      a: gradScores, b: q.storage.pointer + o.q + start * headDim, beta: 1, c: dk.storage.pointer + o.k)
                        }
                    }
                }
            }
        }
        return (needs[0] ? dq : nil, needs[1] ? dk : nil, needs[2] ? dv : nil)
    }
}
