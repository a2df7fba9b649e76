import Foundation
import Testing
@testable import DiffSynth

@Suite("The engine's worker pool")
struct WorkerPoolTests {
    /// Sums i over 0..<n through the pool, each part writing its own slot.
    static func sum(_ n: Int, parts: Int) -> Int {
        var partials = [Int](repeating: 0, count: parts)
        partials.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let out = buffer.baseAddress!
            Parallel.forEachPart(parts) { part in
                out[part] = ((n * part / parts)..<(n * (part + 1) / parts)).reduce(0, +)
            }
        }
        return partials.reduce(0, +)
    }

    @Test("every part runs exactly once, nested loops run inline, and the region flag is restored")
    func partsAndNesting() {
        #expect(!Parallel.isInsideParallelRegion)
        for parts in [1, 2, 3, 7, 64] { #expect(Self.sum(10_000, parts: parts) == 10_000 * 9_999 / 2, "\(parts) parts") }
        var counts = [Int](repeating: 0, count: 6 * 5)
        var nestedInside = [Bool](repeating: false, count: 6)
        counts.withUnsafeMutableBufferPointer { c in
            nestedInside.withUnsafeMutableBufferPointer { inside in
                nonisolated(unsafe) let (c, inside) = (c.baseAddress!, inside.baseAddress!)
                Parallel.forEachPart(6) { outer in
                    inside[outer] = Parallel.isInsideParallelRegion
                    Parallel.forEachPart(5) { inner in c[outer * 5 + inner] += 1 }
                }
            }
        }
        #expect(counts.allSatisfy { $0 == 1 })
        #expect(Parallel.coreCount == 1 || nestedInside.allSatisfy { $0 })
        #expect(!Parallel.isInsideParallelRegion)
    }

    @Test("loops started from many threads at once all complete with the right results")
    func concurrentCallers() async {
        let results = await withTaskGroup(of: Bool.self) { group in
            for caller in 0..<8 {
                group.addTask {
                    (0..<200).allSatisfy { round in
                        let n = 1_000 + caller * 37 + round
                        return Self.sum(n, parts: 2 + (caller + round) % 5) == n * (n - 1) / 2
                    }
                }
            }
            var all: [Bool] = []
            for await ok in group { all.append(ok) }
            return all
        }
        #expect(results.count == 8 && results.allSatisfy { $0 })
    }
}
