// swift-tools-version: 6.0
// FLUX.1 (dev and schnell) for DiffSynth for Swift, written as an outside team would: an
// out-of-tree plugin that uses only the framework's public API (`DiffSynthDynamic`). The host
// loads the shared library with --plugin; see ../README.md for the rules.
import PackageDescription

let package = Package(
    name: "Flux",
    products: [
        .library(name: "Flux", type: .dynamic, targets: ["Flux"]),
    ],
    dependencies: [
        .package(name: "DiffSynth", path: "../.."),
    ],
    targets: [
        .target(name: "Flux", dependencies: [.product(name: "DiffSynthDynamic", package: "DiffSynth")]),
        .testTarget(name: "FluxTests", dependencies: ["Flux", .product(name: "DiffSynthDynamic", package: "DiffSynth")]),
    ]
)
