// Shape and layout operations. Reshape shares storage; everything else copies through
// `StridedCopy`, so every tensor stays contiguous and kernels never see strides.

extension Tensor {
    /// The same elements with another shape (one dimension may be -1 and is inferred).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var target = newShape
        if let inferred = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != inferred }.reduce(1) { $0 * $1.element }
            precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            target[inferred] = count / known
        }
        precondition(target.elementCount == count, "cannot reshape \(shape) (\(count) elements) to \(newShape)")
        if target == shape { return self }
        let out = Tensor(shape: target, storage: storage)
        let original = shape
        return Tensor.record("reshape", inputs: [self], output: out) { g, _ in [g.reshaped(original)] }
    }

    /// Flattens dimensions `start...end` into one.
    public func flattened(from start: Int = 0, to end: Int = -1) -> Tensor {
        let s = normalizedAxis(start), e = normalizedAxis(end)
        guard rank > 0 else { return reshaped([1]) }
        let merged = shape[s...e].reduce(1, *)
        return reshaped(Array(shape[..<s]) + [merged] + Array(shape[(e + 1)...]))
    }

    /// Inserts a dimension of size 1 at `axis` (which may equal `rank`; negative counts from the end as in PyTorch).
    public func unsqueezed(_ axis: Int) -> Tensor {
        let a = axis < 0 ? axis + rank + 1 : axis
        precondition(a >= 0 && a <= rank, "unsqueeze axis \(axis) out of range for rank \(rank)")
        var s = shape
        s.insert(1, at: a)
        return reshaped(s)
    }

    /// Removes dimension `axis`, which must have size 1.
    public func squeezed(_ axis: Int) -> Tensor {
        let a = normalizedAxis(axis)
        precondition(shape[a] == 1, "cannot squeeze axis \(axis) of size \(shape[a])")
        var s = shape
        s.remove(at: a)
        return reshaped(s)
    }

    /// Reorders dimensions: output dimension i is input dimension `order[i]`.
    public func permuted(_ order: [Int]) -> Tensor {
        let order = order.map { normalizedAxis($0) }
        precondition(Set(order).count == rank && order.count == rank, "invalid permutation \(order) for rank \(rank)")
        if order == Array(0..<rank) { return self }
        let newShape = order.map { shape[$0] }
        let inStrides = Broadcasting.contiguousStrides(shape)
        let out = TensorStorage(uninitializedCount: count)
        StridedCopy.copy(shape: newShape, from: storage.pointer, offset: 0, strides: order.map { inStrides[$0] },
                         to: out.pointer, offset: 0, strides: Broadcasting.contiguousStrides(newShape))
        var inverse = [Int](repeating: 0, count: rank)
        for (i, o) in order.enumerated() { inverse[o] = i }
        return Tensor.record("permute", inputs: [self], output: Tensor(shape: newShape, storage: out)) { g, _ in
            [g.permuted(inverse)]
        }
    }

    /// Swaps two dimensions.
    public func transposed(_ a: Int = -2, _ b: Int = -1) -> Tensor {
        var order = Array(0..<rank)
        order.swapAt(normalizedAxis(a), normalizedAxis(b))
        return permuted(order)
    }

    /// Broadcasts to `target` shape, materialising the repeated elements (PyTorch `expand` + `contiguous`).
    public func expand(to target: [Int]) -> Tensor {
        if target == shape { return self }
        let out = TensorStorage(uninitializedCount: target.elementCount)
        StridedCopy.copy(shape: target, from: storage.pointer, offset: 0,
                         strides: Broadcasting.strides(of: shape, broadcastTo: target),
                         to: out.pointer, offset: 0, strides: Broadcasting.contiguousStrides(target))
        let original = shape
        return Tensor.record("expand", inputs: [self], output: Tensor(shape: target, storage: out)) { g, _ in
            [g.sumToShape(original)]
        }
    }

    /// Elements `range` (stepping by `step`) along `axis`, like `x[..., start:end:step]`.
    public func slice(axis: Int, _ range: Range<Int>, step: Int = 1) -> Tensor {
        let a = normalizedAxis(axis)
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[a] && step >= 1,
                     "slice \(range) step \(step) out of bounds for axis \(axis) of shape \(shape)")
        if range == 0..<shape[a] && step == 1 { return self }
        var newShape = shape
        newShape[a] = (range.count + step - 1) / step
        var strides = Broadcasting.contiguousStrides(shape)
        let offset = range.lowerBound * strides[a]
        strides[a] *= step
        let out = TensorStorage(uninitializedCount: newShape.elementCount)
        StridedCopy.copy(shape: newShape, from: storage.pointer, offset: offset, strides: strides,
                         to: out.pointer, offset: 0, strides: Broadcasting.contiguousStrides(newShape))
        let original = shape
        return Tensor.record("slice", inputs: [self], output: Tensor(shape: newShape, storage: out)) { g, _ in
            let full = Tensor.zeros(original)
            StridedCopy.copy(shape: newShape, from: g.storage.pointer, offset: 0, strides: Broadcasting.contiguousStrides(newShape),
                             to: full.storage.pointer, offset: offset, strides: strides)
            return [full]
        }
    }

    /// Splits along `axis` into pieces of the given sizes.
    public func split(sizes: [Int], axis: Int) -> [Tensor] {
        let a = normalizedAxis(axis)
        precondition(sizes.reduce(0, +) == shape[a], "split sizes \(sizes) do not add up to \(shape[a]) on axis \(axis)")
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return slice(axis: a, start..<(start + size))
        }
    }

    /// Splits along `axis` into `chunks` pieces of equal size (PyTorch `chunk` when divisible).
    public func chunked(_ chunks: Int, axis: Int) -> [Tensor] {
        let a = normalizedAxis(axis)
        precondition(chunks > 0 && shape[a] % chunks == 0, "cannot chunk axis \(axis) of size \(shape[a]) into \(chunks)")
        return split(sizes: Array(repeating: shape[a] / chunks, count: chunks), axis: a)
    }

    /// Concatenates tensors along `axis`; all other dimensions must agree.
    public static func concat(_ tensors: [Tensor], axis: Int) -> Tensor {
        precondition(!tensors.isEmpty, "concat of no tensors")
        let first = tensors[0]
        let a = first.normalizedAxis(axis)
        for t in tensors {
            precondition(t.rank == first.rank && (0..<first.rank).allSatisfy { $0 == a || t.shape[$0] == first.shape[$0] },
                         "concat along axis \(axis): shape \(t.shape) does not match \(first.shape)")
        }
        if tensors.count == 1 { return first }
        var newShape = first.shape
        newShape[a] = tensors.reduce(0) { $0 + $1.shape[a] }
        let outStrides = Broadcasting.contiguousStrides(newShape)
        let out = TensorStorage(uninitializedCount: newShape.elementCount)
        var offset = 0
        var sizes: [Int] = []
        for t in tensors {
            StridedCopy.copy(shape: t.shape, from: t.storage.pointer, offset: 0, strides: Broadcasting.contiguousStrides(t.shape),
                             to: out.pointer, offset: offset * outStrides[a], strides: outStrides)
            offset += t.shape[a]
            sizes.append(t.shape[a])
        }
        let result = Tensor(shape: newShape, storage: out)
        guard GradMode.isEnabled, tensors.contains(where: \.requiresGrad) else { return result }
        return Tensor.record("concat", inputs: tensors, output: result) { g, needs in
            let pieces = g.split(sizes: sizes, axis: a)
            return zip(pieces, needs).map { $1 ? $0 : nil }
        }
    }

    /// Stacks equally shaped tensors along a new axis.
    public static func stack(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
        concat(tensors.map { $0.unsqueezed(axis) }, axis: axis)
    }

    /// Pads with a constant: `padding[i] = (before, after)` for dimension i counted from the
    /// *last* dimension backwards, as `torch.nn.functional.pad`. Negative amounts crop.
    public func padded(_ padding: [(before: Int, after: Int)], value: Float = 0) -> Tensor {
        precondition(padding.count <= rank, "pad of \(padding.count) dimensions on shape \(shape)")
        var newShape = shape
        var cropped = self
        for (i, p) in padding.enumerated() {
            let axis = rank - 1 - i
            // Negative padding crops first, so the copy below only ever grows.
            let lo = Swift.max(-p.before, 0), hi = Swift.max(-p.after, 0)
            if lo > 0 || hi > 0 { cropped = cropped.slice(axis: axis, lo..<(cropped.shape[axis] - hi)) }
            newShape[axis] = cropped.shape[axis] + Swift.max(p.before, 0) + Swift.max(p.after, 0)
        }
        let outStrides = Broadcasting.contiguousStrides(newShape)
        var offset = 0
        for (i, p) in padding.enumerated() { offset += Swift.max(p.before, 0) * outStrides[rank - 1 - i] }
        let out = TensorStorage(count: newShape.elementCount, repeating: value)
        let inner = cropped.shape
        StridedCopy.copy(shape: inner, from: cropped.storage.pointer, offset: 0, strides: Broadcasting.contiguousStrides(inner),
                         to: out.pointer, offset: offset, strides: outStrides)
        return Tensor.record("pad", inputs: [cropped], output: Tensor(shape: newShape, storage: out)) { g, _ in
            let back = TensorStorage(uninitializedCount: inner.elementCount)
            StridedCopy.copy(shape: inner, from: g.storage.pointer, offset: offset, strides: outStrides,
                             to: back.pointer, offset: 0, strides: Broadcasting.contiguousStrides(inner))
            return [Tensor(shape: inner, storage: back)]
        }
    }
}
