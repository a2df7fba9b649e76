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
}
