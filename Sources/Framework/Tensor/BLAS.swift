import CBLAS
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Matrix multiplication through OpenBLAS `cblas_sgemm`, row-major.
///
/// OpenBLAS runs single-threaded: ``gemm`` splits large products across the engine's own pool
/// (``Parallel``), one OpenBLAS call per core on its own block of rows or columns. OpenBLAS's
/// thread pool would spin (`sched_yield`) between calls on the very cores the element-wise
/// kernels need next — a fifth of a 2-core training step went there.
///
/// OpenBLAS is opened at first use rather than linked, for one reason: its run-time CPU
/// detection (Debian builds it with DYNAMIC_ARCH) predates recent Xeons and falls back to the
/// ancient Prescott kernel on them — 6× slower than the AVX-512 kernel on this project's CI
/// machines. The kernel is chosen from the environment variable `OPENBLAS_CORETYPE` when the
/// library initialises, so we set it from the CPU's features (unless the user already did)
/// before opening the library.
public enum BLAS {
    private typealias Sgemm = @convention(c) (
        CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, blasint, blasint, blasint, Float,
        UnsafePointer<Float>?, blasint, UnsafePointer<Float>?, blasint, Float, UnsafeMutablePointer<Float>?, blasint) -> Void
    private typealias StringGetter = @convention(c) () -> UnsafeMutablePointer<CChar>?
    private typealias SetThreads = @convention(c) (Int32) -> Void

    private struct Library {
        let sgemm: Sgemm
        let corename: String
        let config: String
    }

    private static let library: Library = load()

    private static func load() -> Library {
        if getenv("OPENBLAS_CORETYPE") == nil, let core = preferredCoreType() {
            setenv("OPENBLAS_CORETYPE", core, 0)
        }
        // One thread pool: OpenBLAS starts no workers of its own (DIFFSYNTH_NUM_THREADS is the knob).
        setenv("OPENBLAS_NUM_THREADS", "1", 1)
        let names = ["libopenblas.so.0", "libopenblas.so", "libopenblas.dylib"]
        guard let handle = names.lazy.compactMap({ dlopen($0, RTLD_NOW | RTLD_GLOBAL) }).first else {
            fatalError("OpenBLAS not found (tried \(names.joined(separator: ", "))): install it, e.g. `apt-get install libopenblas-dev`")
        }
        guard let symbol = dlsym(handle, "cblas_sgemm") else { fatalError("OpenBLAS library has no cblas_sgemm") }
        // In case the library was already loaded (and initialised) by someone else.
        if let set = dlsym(handle, "openblas_set_num_threads") { unsafeBitCast(set, to: SetThreads.self)(1) }
        func string(_ name: String) -> String {
            guard let s = dlsym(handle, name), let c = unsafeBitCast(s, to: StringGetter.self)() else { return "unknown" }
            return String(cString: c).trimmingCharacters(in: .whitespaces)
        }
        return Library(sgemm: unsafeBitCast(symbol, to: Sgemm.self), corename: string("openblas_get_corename"),
                       config: string("openblas_get_config"))
    }

    /// The OpenBLAS kernel family for this CPU, from the flags in /proc/cpuinfo; nil leaves
    /// OpenBLAS's own detection in charge.
    static func preferredCoreType() -> String? {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
        let flags = Set(line.split(separator: " ").map(String.init))
        if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq"]) {
            return flags.contains("avx512_bf16") ? "Cooperlake" : "SkylakeX"
        }
        if flags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }

    /// The OpenBLAS build and the kernel in use, e.g. "OpenBLAS 0.3.21 … (kernel Cooperlake)".
    public static var configuration: String { "\(library.config) (kernel \(library.corename))" }

    /// `C = alpha · op(A) · op(B) + beta · C` with op(A) `m×k`, op(B) `k×n`, C `m×n`, all
    /// row-major; leading dimensions default to dense storage.
    @inline(__always)
    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
        beta: Float = 0, c: UnsafeMutablePointer<Float>,
        lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil
    ) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            if beta == 0 { c.update(repeating: 0, count: m * n) } else if beta != 1 {
                for i in 0..<(m * n) { c[i] *= beta }
            }
            return
        }
        let lda = lda ?? (transposeA ? m : k), ldb = ldb ?? (transposeB ? k : n), ldc = ldc ?? n
        let parts = Swift.min(Parallel.coreCount, m * n * k / minimumMultiplyAddsPerPart)
        guard parts > 1, !Parallel.isInsideParallelRegion else {
            sgemm(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
            return
        }
        // Blocks of whole 16-row / 16-column panels (the kernels' register tiles), split along
        // the longer side of C, so each call keeps the packing of the shared operand cheap.
        nonisolated(unsafe) let (a, b, c) = (a, b, c)
        if m >= n {
            let block = (m + parts - 1) / parts
            let rows = (block + 15) / 16 * 16
            Parallel.forEachPart((m + rows - 1) / rows) { part in
                let start = part * rows, count = Swift.min(rows, m - start)
                sgemm(transposeA, transposeB, count, n, k, alpha, a + (transposeA ? start : start * lda), lda, b, ldb,
                      beta, c + start * ldc, ldc)
            }
        } else {
            let block = (n + parts - 1) / parts
            let columns = (block + 15) / 16 * 16
            Parallel.forEachPart((n + columns - 1) / columns) { part in
                let start = part * columns, count = Swift.min(columns, n - start)
                sgemm(transposeA, transposeB, m, count, k, alpha, a, lda, b + (transposeB ? start * ldb : start), ldb,
                      beta, c + start, ldc)
            }
        }
    }

    /// Products smaller than this (m·n·k) run on one core: waking another costs more.
    static let minimumMultiplyAddsPerPart = 1 << 17

    @inline(__always)
    private static func sgemm(_ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                              _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int, _ beta: Float,
                              _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        library.sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                      blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
}
