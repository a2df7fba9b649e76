// swift-tools-version: 6.0
// DiffSynth for Swift: a diffusion training framework whose headline feature is Direct Distillation.
import Foundation
import PackageDescription

/// Vector instructions for the engine's element-wise kernels. Swift targets plain x86-64 (SSE2)
/// by default, which leaves AVX units idle and turns every fused multiply-add into a library
/// call; the kernels run 2–3× faster with the CPU's own instruction set. The package is always
/// built on the machine that runs it (CI builds from source), so we read the CPU's features
/// here. `DIFFSYNTH_TARGET_CPU=generic` builds a portable binary instead.
let targetCPU: String? = {
    if let choice = ProcessInfo.processInfo.environment["DIFFSYNTH_TARGET_CPU"] { return choice == "generic" ? nil : choice }
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
    let flags = Set(line.split(separator: " ").map(String.init))
    if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx2", "fma", "bmi2"]) { return "skylake-avx512" }
    if flags.isSuperset(of: ["avx2", "fma", "bmi2", "f16c"]) { return "haswell" }
    return nil
}()
let vectorSettings: [SwiftSetting] = targetCPU.map { [.unsafeFlags(["-target-cpu", $0])] } ?? []

let package = Package(
    name: "DiffSynth",
    platforms: [.macOS(.v14)],
    products: [
        /// The framework, linked statically into in-tree targets.
        .library(name: "DiffSynth", targets: ["DiffSynth"]),
        /// The same framework as a shared library, so out-of-tree adapter plugins link the one copy the host uses.
        .library(name: "DiffSynthDynamic", type: .dynamic, targets: ["DiffSynth"]),
        /// The adapter conformance kit, for adapter authors' own tests.
        .library(name: "DiffSynthConformance", targets: ["DiffSynthConformance"]),
        .library(name: "QwenImage", targets: ["QwenImage"]),
        .library(name: "SDXL", targets: ["SDXL"]),
        .executable(name: "diffsynth", targets: ["Host"]),
        .executable(name: "diffsynth-bench", targets: ["EngineBenchmark"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", path: "Sources/Framework/CBLAS"),
        .systemLibrary(name: "CJPEG", path: "Sources/Framework/CJPEG"),
        .systemLibrary(name: "CZlib", path: "Sources/Framework/CZlib"),
        .systemLibrary(name: "CPNG", path: "Sources/Framework/CPNG"),
        .systemLibrary(name: "CSystem", path: "Sources/Framework/CSystem"),
        .target(
            name: "DiffSynth",
            dependencies: ["CBLAS", "CJPEG", "CZlib", "CPNG", "CSystem"],
            path: "Sources/Framework",
            exclude: ["CBLAS", "CJPEG", "CZlib", "CPNG", "CSystem"],
            swiftSettings: vectorSettings
        ),
        .target(name: "DiffSynthConformance", dependencies: ["DiffSynth"], path: "Sources/Conformance"),
        .target(name: "QwenImage", dependencies: ["DiffSynth"], path: "Sources/Adapters/QwenImage"),
        .target(name: "SDXL", dependencies: ["DiffSynth"], path: "Sources/Adapters/SDXL"),
        .executableTarget(
            name: "Host",
            dependencies: ["DiffSynth", "DiffSynthConformance", "QwenImage", "SDXL",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/Host",
            // Plugins resolve framework symbols against the host's copy (see plugins/README.md).
            linkerSettings: [.unsafeFlags(["-Xlinker", "--export-dynamic"])]
        ),
        .executableTarget(
            name: "EngineBenchmark",
            dependencies: ["DiffSynth", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Benchmarks/EngineBenchmark"
        ),
        .testTarget(
            name: "DiffSynthTests",
            dependencies: ["DiffSynth"],
            path: "Tests/DiffSynthTests",
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "QwenImageTests", dependencies: ["QwenImage", "DiffSynth", "DiffSynthConformance"], path: "Tests/QwenImageTests"),
        .testTarget(name: "SDXLTests", dependencies: ["SDXL", "DiffSynth", "DiffSynthConformance"], path: "Tests/SDXLTests"),
        .testTarget(name: "HostTests", dependencies: ["Host", "DiffSynth", "QwenImage"], path: "Tests/HostTests", exclude: ["Fixtures"]),
    ]
)
