import Dispatch
import Foundation

/// Splitting large element-wise work across the machine's cores.
public enum Parallel {
    /// Cores this process uses: `DIFFSYNTH_NUM_THREADS` when set (e.g. 1 per rank when several
    /// MPI ranks share a machine), otherwise every core available to it.
    public static let coreCount: Int = {
        if let text = ProcessInfo.processInfo.environment["DIFFSYNTH_NUM_THREADS"], let n = Int(text), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Below this many elements a single core is faster than waking the others.
    public static let minimumElementsPerTask = 1 << 15

    /// Calls `body` on contiguous sub-ranges of `0..<count` that together cover it, on several
    /// cores when `count × costPerElement` is large enough to pay for the hand-off.
    @inline(__always)
    public static func forEachRange(_ count: Int, costPerElement: Int = 1, _ body: (Range<Int>) -> Void) {
        let work = count &* max(costPerElement, 1)
        let tasks = min(coreCount, max(1, work / minimumElementsPerTask))
        if tasks <= 1 || count < 2 {
            body(0..<count)
            return
        }
        let chunks = min(tasks, count)
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let body = body
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let start = count * chunk / chunks
                let end = count * (chunk + 1) / chunks
                body(start..<end)
            }
        }
    }
}
