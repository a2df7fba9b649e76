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

/// Errors of a Swift result against a reference (the framework's measure).
typealias Comparison = TensorComparison
