/// Copies between strided views: the one kernel behind permute, expand, slice, pad and concat.
enum StridedCopy {
    /// Copies the `shape`-shaped view of `source` (starting at `sourceOffset`, with
    /// `sourceStrides`) into the view of `destination` at `destinationOffset` with
    /// `destinationStrides`.
    static func copy(
        shape: [Int],
        from source: UnsafePointer<Float>, offset sourceOffset: Int, strides sourceStrides: [Int],
        to destination: UnsafeMutablePointer<Float>, offset destinationOffset: Int, strides destinationStrides: [Int]
    ) {
        if shape.contains(0) { return }
        let collapsed = Broadcasting.collapse(shape: shape, strides: [sourceStrides, destinationStrides])
        let inner = collapsed.shape.last!
        let sInner = collapsed.strides[0].last!
        let dInner = collapsed.strides[1].last!
        let outerShape = Array(collapsed.shape.dropLast())
        let outerStrides = [Array(collapsed.strides[0].dropLast()), Array(collapsed.strides[1].dropLast())]
        let rows = outerShape.elementCount
        nonisolated(unsafe) let src = source
        nonisolated(unsafe) let dst = destination
        if sInner != 1, dInner == 1, let k = outerStrides[0].lastIndex(of: 1) {
            // A transpose: reading the innermost run would stride through memory. Copy square
            // tiles instead, so both sides stay in cache.
            tiled(shape: collapsed.shape, strides: collapsed.strides, pairedWith: k,
                  from: src + sourceOffset, to: dst + destinationOffset)
            return
        }
        Parallel.forEachRange(rows, costPerElement: inner) { range in
            var index = OuterIndex(shape: outerShape, strides: outerStrides, startingAt: range.lowerBound)
            for _ in range {
                let s = src + sourceOffset + index.offsets[0]
                let d = dst + destinationOffset + index.offsets[1]
                if sInner == 1 && dInner == 1 {
                    d.update(from: s, count: inner)
                } else if sInner == 0 && dInner == 1 {
                    d.update(repeating: s.pointee, count: inner)
                } else {
                    for i in 0..<inner { d[i &* dInner] = s[i &* sInner] }
                }
                index.advance()
            }
        }
    }

    /// Copies with the innermost destination dimension and dimension `k` (contiguous in the
    /// source) walked in 32 × 32 tiles.
    private static func tiled(shape: [Int], strides: [[Int]], pairedWith k: Int,
                              from source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>) {
        let last = shape.count - 1
        let (inner, nk) = (shape[last], shape[k])
        let (sInner, dK) = (strides[0][last], strides[1][k])
        let restShape = shape.indices.filter { $0 != k && $0 != last }.map { shape[$0] }
        let restStrides = strides.map { s in s.indices.filter { $0 != k && $0 != last }.map { s[$0] } }
        let tile = 32
        let kBlocks = (nk + tile - 1) / tile
        let rows = restShape.elementCount
        nonisolated(unsafe) let src = source
        nonisolated(unsafe) let dst = destination
        Parallel.forEachRange(rows * kBlocks, costPerElement: tile * inner) { range in
            for job in range {
                let (row, kb) = job.quotientAndRemainder(dividingBy: kBlocks)
                let index = OuterIndex(shape: restShape.isEmpty ? [1] : restShape,
                                       strides: restShape.isEmpty ? [[0], [0]] : restStrides, startingAt: row)
                let s0 = src + index.offsets[0], d0 = dst + index.offsets[1]
                let kRange = (kb * tile)..<Swift.min(kb * tile + tile, nk)
                for ib in Swift.stride(from: 0, to: inner, by: tile) {
                    let iEnd = Swift.min(ib + tile, inner)
                    for kk in kRange {
                        let s = s0 + kk, d = d0 + kk * dK
                        for ii in ib..<iEnd { d[ii] = s[ii &* sInner] }
                    }
                }
            }
        }
    }
}
