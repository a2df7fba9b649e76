import CSystem
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The engine's worker threads: ``Parallel`` runs every multi-core loop on them — element-wise
/// kernels, attention heads and the split matrix multiplications (OpenBLAS itself runs
/// single-threaded, see ``BLAS``).
///
/// Hand-written because the step is thousands of short parallel loops (a 256-token training step
/// has ~3,000 GEMMs of tens of microseconds): libdispatch puts its workers to sleep between loops
/// and a wake-up costs about as much as a small GEMM, while OpenBLAS's own pool spins
/// (`sched_yield`) on the cores our element-wise work needs. Here the workers spin briefly
/// after each loop (``spinNanoseconds``: longer than the gap between two ops of a step, far
/// shorter than OpenBLAS's ~0.1 s) and then sleep on a condition variable, so back-to-back loops
/// start at once and an idle process (or one waiting on I/O) gives its cores away.
final class WorkerPool: @unchecked Sendable {
    /// One parallel loop: `parts` calls of `body`, handed out by `next`.
    final class Job: @unchecked Sendable {
        nonisolated(unsafe) var body: ((Int) -> Void)?
        let parts: Int
        let next = Atomic<Int>(0)
        let done = Atomic<Int>(0)
        init(body: @escaping (Int) -> Void, parts: Int) { (self.body, self.parts) = (body, parts) }
    }

    private let generation = Atomic<Int>(0)
    // Heap-allocated: pthread objects must not move, and a Swift property's address is only
    // stable for the duration of one access.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var job: Job?          // guarded by mutex
    private var sleepers = 0       // guarded by mutex
    let workers: Int

    /// How long a worker polls for the next loop before sleeping.
    static let spinNanoseconds: UInt64 = 200_000

    init(workers: Int) {
        self.workers = workers
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
        for _ in 0..<workers {
            let thread = Thread { [unowned self] in self.workerLoop() }
            thread.stackSize = 1 << 21
            thread.start()
        }
    }

    /// Runs `body(0..<parts)` on the calling thread and the workers; returns when all are done.
    func run(parts: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            let job = Job(body: body, parts: parts)
            pthread_mutex_lock(mutex)
            self.job = job
            generation.add(1, ordering: .releasing)
            if sleepers > 0 { pthread_cond_broadcast(wake) }
            pthread_mutex_unlock(mutex)
            Self.work(on: job)
            while job.done.load(ordering: .acquiring) < parts { spinPause() }
            // No worker calls the body any more; drop every reference to it before returning
            // (withoutActuallyEscaping checks that it did not escape).
            pthread_mutex_lock(mutex)
            if self.job === job { self.job = nil }
            job.body = nil
            pthread_mutex_unlock(mutex)
        }
    }

    @inline(never)
    private static func work(on job: Job) {
        while true {
            let part = job.next.add(1, ordering: .relaxed).oldValue
            if part >= job.parts { return }
            call(job, part)
            job.done.add(1, ordering: .releasing)
        }
    }

    /// Calls the body through a copy that is released before the part is counted as done.
    @inline(never)
    private static func call(_ job: Job, _ part: Int) { job.body!(part) }

    private func workerLoop() {
        var seen = generation.load(ordering: .acquiring)
        while true {
            // The clock is read every 64 polls (a `pause` takes 10–150 cycles depending on the CPU).
            let deadline = DispatchTime.now().uptimeNanoseconds + Self.spinNanoseconds
            var spins = 0
            while generation.load(ordering: .acquiring) == seen {
                spinPause()
                spins &+= 1
                if spins & 63 == 0 && DispatchTime.now().uptimeNanoseconds > deadline { break }
            }
            pthread_mutex_lock(mutex)
            while generation.load(ordering: .acquiring) == seen {
                sleepers += 1
                pthread_cond_wait(wake, mutex)
                sleepers -= 1
            }
            seen = generation.load(ordering: .acquiring)
            let current = job
            pthread_mutex_unlock(mutex)
            if let current { Self.work(on: current) }
        }
    }
}

/// A CPU hint that the thread is spinning (x86 `pause`), so its sibling hyper-thread runs faster.
@inline(__always)
func spinPause() { diffsynth_spin_pause() }
