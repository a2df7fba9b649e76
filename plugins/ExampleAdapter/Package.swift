// swift-tools-version: 6.0
// An out-of-tree model family for DiffSynth for Swift: built as a shared library that the
// `diffsynth` host loads with --plugin. It links the framework's *dynamic* product, and the
// host exports its own copy's symbols, so both sides share one registry and one set of types.
import PackageDescription

let package = Package(
    name: "ExampleAdapter",
    products: [
        .library(name: "ExampleAdapter", type: .dynamic, targets: ["ExampleAdapter"]),
    ],
    dependencies: [
        .package(name: "DiffSynth", path: "../.."),
    ],
    targets: [
        .target(name: "ExampleAdapter", dependencies: [.product(name: "DiffSynthDynamic", package: "DiffSynth")]),
    ]
)
