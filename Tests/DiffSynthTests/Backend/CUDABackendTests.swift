import Foundation
import Testing
@testable import DiffSynth

/// What the CUDA backend can prove without a GPU: where it looks for NVIDIA's libraries, the
/// errors when they are missing, and — where NVRTC is installed (a pip PyTorch brings it; CI has
/// none) — that every kernel source compiles and the PTX cache works.
@Suite("CUDA backend without a GPU")
struct CUDABackendTests {
    static let nvrtc: NVRTC? = try? NVRTC()

    func withTemporaryDirectory<R>(_ body: (URL) throws -> R) throws -> R {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cuda-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: url) }
        return try body(url)
    }

    @Test("search order: DIFFSYNTH_CUDA_LIBRARY_PATH, CUDA_HOME, LD_LIBRARY_PATH, system folders, then Python's nvidia/*/lib")
    func searchOrder() throws {
        try withTemporaryDirectory { root in
            let make = { (path: String) -> String in
                let url = root.appendingPathComponent(path)
                try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
                return url.path
            }
            let explicit = make("explicit"), cudaHome = make("cuda"), ld = make("ld")
            let cudaLib64 = make("cuda/lib64")
            let pyenv = make("home/.pyenv/versions/3.12.1/lib/python3.12/site-packages/nvidia/cublas/lib")
            let venv = make("venv/lib/python3.11/site-packages/nvidia/cuda_nvrtc/lib")
            let environment = ["DIFFSYNTH_CUDA_LIBRARY_PATH": explicit + ":" + root.appendingPathComponent("missing").path,
                               "CUDA_HOME": cudaHome, "LD_LIBRARY_PATH": ld + ":" + explicit,
                               "HOME": root.appendingPathComponent("home").path, "VIRTUAL_ENV": root.appendingPathComponent("venv").path]
            let folders = CUDALibraries.searchFolders(environment: environment)
            let position = { (path: String) -> Int in folders.firstIndex(of: path) ?? -1 }
            #expect(position(explicit) == 0, "\(folders)")
            #expect(position(cudaLib64) == 1 && position(ld) == 2, "\(folders)")
            #expect(!folders.contains(root.appendingPathComponent("missing").path), "missing folders are skipped")
            #expect(folders.filter { $0 == explicit }.count == 1, "duplicates are removed")
            #expect(position(venv) > position(ld) && position(pyenv) > position(venv), "\(folders)")
        }
    }

    @Test("a missing library names every folder looked in, and a file that is not a library says why it was skipped")
    func missingLibrary() throws {
        try withTemporaryDirectory { root in
            try Data("not an ELF file".utf8).write(to: root.appendingPathComponent("libnvrtc.so.12"))
            // Only our folder: no HOME/pyenv, and the system folders hold no NVRTC on a CI machine.
            let environment = ["DIFFSYNTH_CUDA_LIBRARY_PATH": root.path, "HOME": root.path]
            do {
                let opened = try CUDALibraries.open(.nvrtc, environment: environment)
                // A machine with NVRTC in a system folder finds the real one after skipping ours.
                #expect(!opened.path.hasPrefix(root.path))
            } catch let error as CUDABackendError {
                guard case .libraryNotFound(let name, let fileNames, let searched) = error else { Issue.record("\(error)"); return }
                #expect(name == "libnvrtc" && fileNames.first == "libnvrtc.so.13")
                #expect(searched.first == root.path)
                #expect(searched.contains { $0.hasPrefix(root.appendingPathComponent("libnvrtc.so.12").path) && $0.contains("could not be loaded") })
                #expect(error.description.contains("--device cpu") && error.description.contains(root.path))
            }
        }
    }

    @Test("every kernel source compiles to PTX with all its entry points (needs libnvrtc)", .enabled(if: nvrtc != nil))
    func kernelsCompile() throws {
        let nvrtc = try #require(Self.nvrtc)
        for architecture in ["compute_80", "compute_90"] {
            for unit in CUDAKernelSources.all {
                let ptx = try nvrtc.compile(unit.source, name: unit.name, architecture: architecture)
                #expect(ptx.contains(".target sm_\(architecture.dropFirst("compute_".count))"), "\(unit.name) \(architecture)")
                for kernel in unit.kernels { #expect(ptx.contains(".entry \(kernel)"), "\(unit.name): \(kernel)") }
            }
        }
    }

    @Test("a kernel that does not compile names its source, the architecture and the compiler's line", .enabled(if: nvrtc != nil))
    func compileError() throws {
        let nvrtc = try #require(Self.nvrtc)
        let error = try #require(throws: CUDABackendError.self) {
            try nvrtc.compile("extern \"C\" __global__ void k(float* x) {\n  x[0] = undefined_name;\n}\n", name: "broken.cu", architecture: "compute_90")
        }
        #expect(error.description.contains("broken.cu") && error.description.contains("compute_90")
                && error.description.contains("broken.cu(2)") && error.description.contains("undefined_name"), "\(error)")
    }

    @Test("the PTX cache compiles once, keys on source and architecture, and leaves no temporary behind", .enabled(if: nvrtc != nil))
    func kernelCache() throws {
        let nvrtc = try #require(Self.nvrtc)
        try withTemporaryDirectory { root in
            let cache = CUDAKernelCache(root: root)
            let unit = CUDAKernelSources.elementwise
            let first = try cache.ptx(for: unit, architecture: "compute_90", nvrtc: nvrtc)
            let second = try cache.ptx(for: unit, architecture: "compute_90", nvrtc: nvrtc)
            #expect(!first.cached && second.cached && first.ptx == second.ptx)
            let other = try cache.ptx(for: unit, architecture: "compute_80", nvrtc: nvrtc)
            #expect(!other.cached)
            let file = cache.file(for: unit, architecture: "compute_90", compiler: nvrtc.version)
            #expect(file.path.hasPrefix(root.appendingPathComponent("cuda/compute_90").path))
            let changed = CUDAKernelSources.Unit(name: unit.name, kernels: unit.kernels, source: unit.source + "\n// changed\n")
            #expect(cache.file(for: changed, architecture: "compute_90", compiler: nvrtc.version) != file)
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: file.deletingLastPathComponent().path).filter { $0.hasSuffix(".tmp") }
            #expect(leftovers.isEmpty)
            // A truncated file is not trusted: it is compiled again.
            try Data("// truncated".utf8).write(to: file)
            let recompiled = try cache.ptx(for: unit, architecture: "compute_90", nvrtc: nvrtc)
            #expect(!recompiled.cached)
        }
    }

    @Test("without a GPU, the parity check reports the missing driver and runs no parity stage")
    func parityCheckWithoutGPU() throws {
        try withTemporaryDirectory { root in
            let results = CUDAParityCheck(cache: CUDAKernelCache(root: root)).run()
            let gpu = try #require(results.first { $0.stage == "device" })
            if !gpu.passed {
                #expect(gpu.detail.contains("libcuda") || gpu.detail.contains("no GPU"))
                #expect(!results.contains { $0.stage == "parity" })
            }
            #expect(results.filter { $0.stage == "library" }.map(\.name) == ["libcuda", "libcublas", "libcublasLt", "libnvrtc"])
            let compiled = results.filter { $0.stage == "compile" }.allSatisfy { $0.passed }
            #expect(compiled)
        }
    }

    @Test("kernel arguments are packed as their own bytes (8 for a device pointer, 4 for Int32 and Float)")
    func argumentPacking() {
        let packed = CUDADriver.packedArguments([CUDADriver.DevicePointer(0x0102_0304_0506_0708), Int32(-2), Float(1.5), Int64(7)])
        #expect(packed.map(\.count) == [8, 4, 4, 8])
        #expect(packed[0] == [8, 7, 6, 5, 4, 3, 2, 1])
        #expect(packed[1] == [0xFE, 0xFF, 0xFF, 0xFF])
        #expect(packed[2] == withUnsafeBytes(of: Float(1.5).bitPattern.littleEndian) { Array($0) })
    }
}
