import Testing
@testable import DiffSynth

@Suite("Layout operations")
struct ShapeTests {
    /// Reference permutation by explicit index arithmetic.
    func naivePermute(_ x: Tensor, _ order: [Int]) -> [Float] {
        let outShape = order.map { x.shape[$0] }
        let inStrides = Broadcasting.contiguousStrides(x.shape)
        let values = x.scalars
        return (0..<x.count).map { flat in
            var rest = flat, offset = 0
            for d in stride(from: outShape.count - 1, through: 0, by: -1) {
                offset += (rest % outShape[d]) * inStrides[order[d]]
                rest /= outShape[d]
            }
            return values[offset]
        }
    }

    @Test("every permutation of a 4-D tensor matches index arithmetic (tiled transposes included)")
    func permutations() {
        var r = TestRandom(9)
        let x = r.tensor([3, 40, 5, 37])
        func permutations(_ items: [Int]) -> [[Int]] {
            items.count <= 1 ? [items] : items.flatMap { first in permutations(items.filter { $0 != first }).map { [first] + $0 } }
        }
        for order in permutations([0, 1, 2, 3]) {
            #expect(x.permuted(order).scalars == naivePermute(x, order), "order \(order)")
        }
        let big = r.tensor([300, 1024])
        #expect(big.transposed().scalars == naivePermute(big, [1, 0]))
    }

    @Test("slice, pad, concat, split and expand place elements like PyTorch")
    func placement() {
        let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        #expect(x.slice(axis: 1, 0..<3, step: 2).scalars == [1, 3, 4, 6])
        #expect(x.padded([(1, 0)], value: 9).scalars == [9, 1, 2, 3, 9, 4, 5, 6])
        #expect(x.padded([(0, 0), (1, 1)]).shape == [4, 3])
        #expect(x.padded([(-1, 0)]).scalars == [2, 3, 5, 6])
        #expect(Tensor.concat([x, x], axis: 0).scalars == [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6])
        #expect(Tensor.concat([x, x], axis: 1).scalars == [1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6])
        #expect(x.split(sizes: [1, 2], axis: 1).map(\.scalars) == [[1, 4], [2, 3, 5, 6]])
        #expect(Tensor([1, 2]).reshaped([2, 1]).expand(to: [2, 2]).scalars == [1, 1, 2, 2])
        #expect(x.reshaped([1, 1, 2, 3]).upsampleNearest(factor: 2).scalars.prefix(6) == [1, 1, 2, 2, 3, 3])
        #expect(x.sum(axes: [0]).scalars == [5, 7, 9] && x.max(axes: [1]).scalars == [3, 6])
        #expect(x.mean().item() == 3.5)
    }
}
