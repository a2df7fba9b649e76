import ArgumentParser
import DiffSynth
import Foundation

/// `diffsynth cuda-check`: what the CUDA backend finds on this machine, as far as it can go —
/// libraries, NVRTC compilation of every kernel, and on a GPU each kernel and cuBLAS against the CPU.
struct CUDACheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cuda-check",
        abstract: "Find the CUDA libraries, compile the kernels, and on a GPU check them against the CPU.",
        usage: "diffsynth cuda-check [<options>]",
        discussion: """
        Needs no GPU for the first two stages: NVRTC (libnvrtc, e.g. from a pip-installed PyTorch) compiles for \
        --architecture. Exits non-zero when a kernel fails to compile or to match, or with --require_gpu when there is none.
        """)

    @Option(name: .customLong("architecture"), help: "NVRTC target when no GPU can be asked, e.g. compute_90 (H100), compute_80 (A100).")
    var architecture = "compute_90"

    @Option(name: .customLong("output"), help: "Also write the results as CSV (stage,name,passed,detail).")
    var output: String?

    @Flag(name: .customLong("require_gpu"), help: "Fail unless a GPU ran the parity stage.")
    var requireGPU = false

    func validate() throws {
        guard architecture.hasPrefix("compute_") || architecture.hasPrefix("sm_"), Int(architecture.drop { !$0.isNumber }) != nil else {
            throw ValidationError("--architecture must look like compute_90 or sm_90, got \(architecture)")
        }
        if let output { try InputChecks.requireWritableFile(output, flag: "--output") }
    }

    func run() throws {
        let results = CUDAParityCheck(fallbackArchitecture: architecture).run { r in
            print("\(r.passed ? "✓" : "✗") \(r.stage) \(r.name): \(r.detail)")
        }
        if let output {
            func cell(_ s: String) -> String { s.contains(where: { ",\"\n".contains($0) }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s }
            let csv = "stage,name,passed,detail\n" + results.map { "\($0.stage),\(cell($0.name)),\($0.passed),\(cell($0.detail))" }.joined(separator: "\n") + "\n"
            try Data(csv.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
        }
        let failed = results.filter { !$0.passed && ($0.stage == "compile" || $0.stage == "parity") }
        let ranOnGPU = results.contains { $0.stage == "parity" }
        if !failed.isEmpty || (requireGPU && !ranOnGPU) {
            note("cuda-check: \(failed.count) failed\(requireGPU && !ranOnGPU ? ", and no GPU ran the parity stage" : "")")
            throw ExitCode.failure
        }
    }
}
