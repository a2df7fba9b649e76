/// Shape arithmetic shared by the kernels: PyTorch broadcasting, row-major strides and
/// dimension collapsing (merging neighbouring dimensions that are laid out back to back, so
/// kernels iterate over as few and as long runs as possible).
public enum Broadcasting {
    /// The broadcast of two shapes, PyTorch rules: align from the right; sizes equal or one is 1.
    public static func shape(_ a: [Int], _ b: [Int]) -> [Int] {
        let rank = max(a.count, b.count)
        var result = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let x = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let y = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            precondition(x == y || x == 1 || y == 1, "shapes \(a) and \(b) cannot be broadcast together")
            result[i] = x == 1 ? y : x
        }
        return result
    }

    /// Row-major strides of a contiguous tensor of `shape`.
    @inlinable
    public static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = running
            running *= shape[i]
        }
        return strides
    }

    /// Strides that read a contiguous tensor of `shape` as if it had `target` shape: broadcast
    /// dimensions get stride 0.
    public static func strides(of shape: [Int], broadcastTo target: [Int]) -> [Int] {
        let own = contiguousStrides(shape)
        let offset = target.count - shape.count
        precondition(offset >= 0, "cannot broadcast \(shape) to \(target)")
        var result = [Int](repeating: 0, count: target.count)
        for i in 0..<shape.count {
            precondition(shape[i] == target[i + offset] || shape[i] == 1, "cannot broadcast \(shape) to \(target)")
            result[i + offset] = shape[i] == 1 ? 0 : own[i]
        }
        return result
    }

    /// Merges neighbouring dimensions whenever every operand steps through them as one run, and
    /// drops dimensions of size 1. Returns at least one dimension.
    public static func collapse(shape: [Int], strides: [[Int]]) -> (shape: [Int], strides: [[Int]]) {
        var outShape: [Int] = []
        var outStrides: [[Int]] = Array(repeating: [], count: strides.count)
        for d in 0..<shape.count where shape[d] != 1 {
            if let last = outShape.last,
               (0..<strides.count).allSatisfy({ outStrides[$0].last! == strides[$0][d] * shape[d] }) {
                outShape[outShape.count - 1] = last * shape[d]
                for k in 0..<strides.count { outStrides[k][outStrides[k].count - 1] = strides[k][d] }
            } else {
                outShape.append(shape[d])
                for k in 0..<strides.count { outStrides[k].append(strides[k][d]) }
            }
        }
        if outShape.isEmpty {
            return ([1], Array(repeating: [0], count: strides.count))
        }
        return (outShape, outStrides)
    }
}

/// Walks the outer dimensions of a collapsed iteration space, yielding per operand the offset of
/// each innermost run. Used by kernels that handle the innermost dimension in a tight loop.
@usableFromInline
struct OuterIndex {
    @usableFromInline let shape: [Int]      // outer dims only
    @usableFromInline let strides: [[Int]]  // per operand, outer dims only
    @usableFromInline var counter: [Int]
    @usableFromInline var offsets: [Int]

    /// Positions the walker at flattened outer row `row`.
    @usableFromInline
    init(shape: [Int], strides: [[Int]], startingAt row: Int) {
        self.shape = shape
        self.strides = strides
        counter = [Int](repeating: 0, count: shape.count)
        offsets = [Int](repeating: 0, count: strides.count)
        var remainder = row
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            counter[d] = remainder % shape[d]
            remainder /= shape[d]
            for k in 0..<strides.count { offsets[k] += counter[d] * strides[k][d] }
        }
    }

    /// Moves to the next outer row.
    @usableFromInline @inline(__always)
    mutating func advance() {
        var d = shape.count - 1
        while d >= 0 {
            counter[d] += 1
            for k in 0..<offsets.count { offsets[k] += strides[k][d] }
            if counter[d] < shape[d] { return }
            for k in 0..<offsets.count { offsets[k] -= strides[k][d] * shape[d] }
            counter[d] = 0
            d -= 1
        }
    }
}
