import DiffSynth
import Foundation

/// The committed FLUX fixtures (made by `Tools/reference/flux_fixtures.py` in the framework's repository).
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")
    /// Component folders: `transformer-dev/`, `transformer-schnell/`, `text_encoder_2/` (BF16 weights).
    static let components = root.appendingPathComponent("flux-components")
    static let referenceFolder = root.appendingPathComponent("flux-reference")

    /// What the Python side recorded besides tensors.
    struct Metadata: Decodable {
        struct Transformer: Decodable {
            let timestep: [Float]
            let guidance: [Float]?
            let latent_height: Int
            let latent_width: Int
            let parameters: Int
        }
        struct T5: Decodable {
            let input_ids: [[Int]]
            let parameters: Int
        }
        let transformers: [String: Transformer]
        let t5: T5
    }

    static let metadata: Metadata = {
        try! JSONDecoder().decode(Metadata.self, from: Data(contentsOf: referenceFolder.appendingPathComponent("reference.json")))
    }()

    static let references: SafetensorsFile = try! SafetensorsFile(url: referenceFolder.appendingPathComponent("reference.safetensors"))

    /// A reference tensor by name (see the fixture script for the names).
    static func reference(_ name: String) throws -> Tensor { try references.tensor(name) }
}

/// Errors of a Swift result against a reference.
struct Comparison: CustomStringConvertible {
    /// max |a − b|.
    let maxAbsolute: Float
    /// max |a − b| / max |b|: the error relative to the reference's scale.
    let maxRelative: Float

    init(_ actual: Tensor, _ expected: Tensor) {
        precondition(actual.shape == expected.shape, "shape \(actual.shape) vs reference \(expected.shape)")
        var worst: Float = 0, scale: Float = 0
        let a = actual.scalars, b = expected.scalars
        for i in 0..<a.count {
            worst = max(worst, abs(a[i] - b[i]))
            scale = max(scale, abs(b[i]))
        }
        maxAbsolute = worst
        maxRelative = worst / max(scale, 1e-30)
    }

    var description: String { String(format: "max abs %.3e, max rel %.3e", maxAbsolute, maxRelative) }
}
