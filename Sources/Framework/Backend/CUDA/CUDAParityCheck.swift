import Foundation

/// What `diffsynth cuda-check` runs, in three stages, each as far as this machine allows:
/// 1. which CUDA libraries were found, and where;
/// 2. every kernel source compiled by NVRTC (needs only `libnvrtc`, no GPU) through the PTX cache;
/// 3. on a GPU: every kernel and cuBLAS's matrix product against the CPU engine on seeded inputs,
///    in Float32, to ``tolerance`` relative.
public struct CUDAParityCheck {
    /// One line of the report.
    public struct Result: Sendable {
        /// `library`, `compile` or `parity`.
        public let stage: String
        /// The library, unit or kernel.
        public let name: String
        /// Whether it passed (for libraries: was found).
        public let passed: Bool
        /// What was found or measured.
        public let detail: String
    }

    /// Relative error allowed between GPU and CPU results (max |a − b| / max |b|).
    public static let tolerance: Float = 1e-4

    public let environment: [String: String]
    /// The NVRTC architecture to compile for when there is no GPU to ask (default `compute_90`, H100).
    public let fallbackArchitecture: String
    public let cache: CUDAKernelCache

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, fallbackArchitecture: String = "compute_90",
                cache: CUDAKernelCache? = nil) {
        self.environment = environment
        self.fallbackArchitecture = fallbackArchitecture
        self.cache = cache ?? CUDAKernelCache(environment: environment)
    }

    /// Runs every stage this machine can; `report` sees each result as it comes.
    public func run(report: (Result) -> Void = { _ in }) -> [Result] {
        var results: [Result] = []
        func add(_ r: Result) { results.append(r); report(r) }
        for name in CUDALibraries.Name.allCases {
            do {
                add(Result(stage: "library", name: name.rawValue, passed: true, detail: try CUDALibraries.open(name, environment: environment).path))
            } catch {
                add(Result(stage: "library", name: name.rawValue, passed: false, detail: "\(error)"))
            }
        }
        var driver: CUDADriver?
        do { driver = try CUDADriver(environment: environment) } catch {
            add(Result(stage: "device", name: "gpu", passed: false, detail: "\(error)"))
        }
        if let driver {
            add(Result(stage: "device", name: "gpu", passed: true,
                       detail: "\(driver.deviceName), compute capability \(driver.computeCapability.major).\(driver.computeCapability.minor)"))
        }
        let architecture = driver?.architecture ?? fallbackArchitecture
        guard let nvrtc = try? NVRTC(environment: environment) else { return results }
        var ptx: [String: String] = [:]
        for unit in CUDAKernelSources.all {
            do {
                let compiled = try cache.ptx(for: unit, architecture: architecture, nvrtc: nvrtc)
                let entries = unit.kernels.filter { compiled.ptx.contains(".entry \($0)") }
                ptx[unit.name] = compiled.ptx
                add(Result(stage: "compile", name: unit.name, passed: entries.count == unit.kernels.count,
                           detail: "\(architecture), NVRTC \(nvrtc.version.major).\(nvrtc.version.minor), \(compiled.ptx.utf8.count) bytes of PTX, "
                               + "\(entries.count)/\(unit.kernels.count) kernels\(compiled.cached ? " (cached)" : "")"))
            } catch {
                add(Result(stage: "compile", name: unit.name, passed: false, detail: "\(error)"))
            }
        }
        guard let driver else { return results }
        for r in parity(driver: driver, ptx: ptx) { add(r) }
        return results
    }

    /// Each kernel against the CPU engine's op on seeded inputs.
    func parity(driver: CUDADriver, ptx: [String: String]) -> [Result] {
        var results: [Result] = []
        var functions: [String: OpaquePointer] = [:]
        for unit in CUDAKernelSources.all {
            guard let text = ptx[unit.name] else { continue }
            do { functions.merge(try driver.loadModule(ptx: text, kernels: unit.kernels)) { a, _ in a } } catch {
                results.append(Result(stage: "parity", name: unit.name, passed: false, detail: "\(error)"))
            }
        }
        var generator = TorchGenerator(seed: 1234)
        let (rows, cols) = (37, 1000)
        let n = rows * cols
        let a = Tensor.randn([rows, cols], generator: &generator), b = Tensor.randn([rows, cols], generator: &generator)
        let weight = Tensor.randn([cols], generator: &generator)
        let bf16 = a.scalars.map(ReducedPrecision.bfloat16Bits)
        func compare(_ name: String, _ gpu: [Float], _ cpu: [Float]) {
            let comparison = TensorComparison(gpu, cpu)
            results.append(Result(stage: "parity", name: name, passed: comparison.maxRelative <= Self.tolerance && gpu.allSatisfy(\.isFinite),
                                  detail: "\(comparison)"))
        }
        func run(_ name: String, inputs: [[Float]], extra: [any BitwiseCopyable], count: Int, blocks: Int, threads: Int) throws -> [Float] {
            guard let function = functions[name] else { throw CUDABackendError.missingSymbol(library: "PTX module", symbol: name) }
            let buffers = try inputs.map { values -> CUDADriver.DevicePointer in
                let p = try driver.allocate(bytes: values.count * 4)
                try driver.upload(values, to: p)
                return p
            }
            let output = try driver.allocate(bytes: count * 4)
            defer { (buffers + [output]).forEach(driver.free) }
            try driver.launch(function, name: name, blocks: blocks, threads: threads, arguments: buffers + [output] + extra)
            return try driver.download(output, count: count)
        }
        let grid = (n + 255) / 256
        let cases: [(String, () throws -> [Float], [Float])] = [
            ("diffsynth_add_f32", { try run("diffsynth_add_f32", inputs: [a.scalars, b.scalars], extra: [Int64(n)], count: n, blocks: grid, threads: 256) },
             (a + b).scalars),
            ("diffsynth_mul_f32", { try run("diffsynth_mul_f32", inputs: [a.scalars, b.scalars], extra: [Int64(n)], count: n, blocks: grid, threads: 256) },
             (a * b).scalars),
            ("diffsynth_silu_f32", { try run("diffsynth_silu_f32", inputs: [a.scalars], extra: [Int64(n)], count: n, blocks: grid, threads: 256) },
             a.silu().scalars),
            ("diffsynth_gelu_tanh_f32", { try run("diffsynth_gelu_tanh_f32", inputs: [a.scalars], extra: [Int64(n)], count: n, blocks: grid, threads: 256) },
             a.gelu(approximate: .tanh).scalars),
            ("diffsynth_softmax_rows_f32", { try run("diffsynth_softmax_rows_f32", inputs: [a.scalars], extra: [Int32(rows), Int32(cols)],
                                                     count: n, blocks: rows, threads: 256) }, a.softmax(axis: -1).scalars),
            ("diffsynth_rms_norm_rows_f32", { try run("diffsynth_rms_norm_rows_f32", inputs: [a.scalars, weight.scalars],
                                                      extra: [Int32(rows), Int32(cols), Float(1e-6)], count: n, blocks: rows, threads: 256) },
             a.rmsNorm(weight: weight, eps: 1e-6).scalars),
        ]
        for (name, gpu, cpu) in cases {
            do { compare(name, try gpu(), cpu) } catch { results.append(Result(stage: "parity", name: name, passed: false, detail: "\(error)")) }
        }
        // BF16 widening is exact: compared bit for bit.
        do {
            guard let function = functions["diffsynth_bf16_to_f32"] else { throw CUDABackendError.missingSymbol(library: "PTX module", symbol: "diffsynth_bf16_to_f32") }
            let input = try driver.allocate(bytes: n * 2), output = try driver.allocate(bytes: n * 4)
            defer { driver.free(input); driver.free(output) }
            try driver.upload(bf16, to: input)
            try driver.launch(function, name: "diffsynth_bf16_to_f32", blocks: grid, threads: 256, arguments: [input, output, Int64(n)])
            let widened: [Float] = try driver.download(output, count: n)
            let exact = zip(widened, bf16).allSatisfy { $0.bitPattern == ReducedPrecision.float(bfloat16Bits: $1).bitPattern }
            results.append(Result(stage: "parity", name: "diffsynth_bf16_to_f32", passed: exact, detail: exact ? "bit-exact" : "differs"))
        } catch { results.append(Result(stage: "parity", name: "diffsynth_bf16_to_f32", passed: false, detail: "\(error)")) }
        // cuBLAS against a plain triple loop in Float64 (no OpenBLAS needed on the GPU machine).
        do {
            let blas = try CUBLAS(driver: driver, environment: environment)
            let (m, k, nn) = (67, 129, 45)
            let x = Tensor.randn([m, k], generator: &generator).scalars, y = Tensor.randn([k, nn], generator: &generator).scalars
            var expected = [Float](repeating: 0, count: m * nn)
            for i in 0..<m { for j in 0..<nn { var s = 0.0; for p in 0..<k { s += Double(x[i * k + p]) * Double(y[p * nn + j]) }; expected[i * nn + j] = Float(s) } }
            let (pa, pb, pc) = (try driver.allocate(bytes: x.count * 4), try driver.allocate(bytes: y.count * 4), try driver.allocate(bytes: m * nn * 4))
            defer { [pa, pb, pc].forEach(driver.free) }
            try driver.upload(x, to: pa)
            try driver.upload(y, to: pb)
            try blas.gemm(m: m, n: nn, k: k, a: pa, b: pb, c: pc)
            // cuBLAS may use TF32 only when asked (the default math mode is full FP32).
            compare("cublasSgemm \(m)×\(k)·\(k)×\(nn)", try driver.download(pc, count: m * nn), expected)
        } catch { results.append(Result(stage: "parity", name: "cublasSgemm", passed: false, detail: "\(error)")) }
        return results
    }
}
