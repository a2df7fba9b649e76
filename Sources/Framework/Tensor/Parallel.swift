import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Splitting work across the machine's cores, on the engine's one pool of worker threads
/// (``WorkerPool``), shared by element-wise kernels, attention heads and matrix multiplications
/// (OpenBLAS runs single-threaded inside them: see ``BLAS``). One pool matters on small machines:
/// with two — OpenBLAS's spinning workers and ours — they fight for the same cores.
public enum Parallel {
    /// Cores this process uses: `DIFFSYNTH_NUM_THREADS` when set (e.g. 1 per rank when several
    /// MPI ranks share a machine), otherwise every core available to it.
    public static let coreCount: Int = {
        if let text = ProcessInfo.processInfo.environment["DIFFSYNTH_NUM_THREADS"], let n = Int(text), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Below this many elements a single core is faster than waking the others.
    public static let minimumElementsPerTask = 1 << 13

    /// Whether the calling thread is already running one part of a parallel loop: work it starts
    /// then runs on it alone (nested splitting would only add hand-offs: the cores are busy).
    public static var isInsideParallelRegion: Bool { pthread_getspecific(regionKey) != nil }

    /// ``coreCount`` − 1 workers: the calling thread takes a part of every loop itself.
    private static let pool = WorkerPool(workers: coreCount - 1)

    private static let regionKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Calls `body(part)` for every part in `0..<parts`, on up to ``coreCount`` cores; parts run
    /// inline, one after another, when there is one part or the caller is already a part of a
    /// parallel loop.
    @inline(__always)
    public static func forEachPart(_ parts: Int, _ body: (Int) -> Void) {
        if parts <= 1 || coreCount == 1 || isInsideParallelRegion {
            for part in 0..<parts { body(part) }
            return
        }
        pool.run(parts: parts) { part in
            let outer = pthread_getspecific(regionKey)
            pthread_setspecific(regionKey, UnsafeMutableRawPointer(bitPattern: 1))
            body(part)
            pthread_setspecific(regionKey, outer)
        }
    }

    /// Calls `body` on contiguous sub-ranges of `0..<count` that together cover it, on several
    /// cores when `count × costPerElement` is large enough to pay for the hand-off.
    @inline(__always)
    public static func forEachRange(_ count: Int, costPerElement: Int = 1, _ body: (Range<Int>) -> Void) {
        let chunks = chunkCount(count, costPerElement: costPerElement)
        if chunks == 1 {
            body(0..<count)
            return
        }
        forEachPart(chunks) { chunk in body(range(chunk, of: chunks, count)) }
    }

    /// ``forEachRange(_:costPerElement:_:)`` for work that gives one result per sub-range (partial
    /// sums, flags): the results in range order.
    public static func mapRanges<T>(_ count: Int, costPerElement: Int = 1, _ body: (Range<Int>) -> T) -> [T] {
        let chunks = chunkCount(count, costPerElement: costPerElement)
        if chunks == 1 { return [body(0..<count)] }
        var results = [T?](repeating: nil, count: chunks)
        results.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let out = buffer.baseAddress!
            forEachPart(chunks) { chunk in out[chunk] = body(range(chunk, of: chunks, count)) }
        }
        return results.map { $0! }
    }

    /// How many sub-ranges ``forEachRange(_:costPerElement:_:)`` splits `0..<count` into.
    private static func chunkCount(_ count: Int, costPerElement: Int) -> Int {
        let work = count &* max(costPerElement, 1)
        let tasks = min(coreCount, max(1, work / minimumElementsPerTask))
        return tasks <= 1 || count < 2 || isInsideParallelRegion ? 1 : min(tasks, count)
    }

    @inline(__always)
    private static func range(_ chunk: Int, of chunks: Int, _ count: Int) -> Range<Int> {
        (count * chunk / chunks)..<(count * (chunk + 1) / chunks)
    }
}
