import DiffSynth
import Foundation
@testable import SDXL

/// The committed SDXL fixtures (made by `Tools/reference/sdxl_fixtures.py`), relative to this file.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")
    /// The base tiny pipeline folder (F16 weights stored as the `fp16` variant).
    static let base = root.appendingPathComponent("sdxl-tiny")
    /// Turbo's `model_index.json` + `scheduler/` only; see ``turboFolder()``.
    static let turboOverlay = root.appendingPathComponent("sdxl-turbo-tiny")
    static let referenceFolder = root.appendingPathComponent("sdxl-tiny-reference")

    static let prompt = "a photo of an astronaut riding a horse"
    static let secondPrompt = "A cat's dog, on the moon!"

    /// What the Python side recorded besides tensors: token ids per prompt and the schedules.
    struct Metadata: Decodable {
        struct ScheduleValues: Decodable {
            let sigmas: [Double]
            let timesteps: [Double]
            let `init`: Double
        }
        let vocab_size: Int
        let prompts: [String]
        let tokens: [String: [Int]]
        let tokens_2: [String: [Int]]
        let schedules: [String: ScheduleValues]
        let negative_prompt: String
    }

    static let metadata: Metadata = {
        let url = referenceFolder.appendingPathComponent("reference.json")
        return try! JSONDecoder().decode(Metadata.self, from: Data(contentsOf: url))
    }()

    static let references: SafetensorsFile = try! SafetensorsFile(
        url: referenceFolder.appendingPathComponent("reference.safetensors"))

    /// A reference tensor by name (see the fixture script for the names).
    static func reference(_ name: String) throws -> Tensor { try references.tensor(name) }

    /// Token ids transformers' `CLIPTokenizer` produced for the fixture prompts, as a tokenizer.
    struct RecordedTokenizer: PaddedTokenizer {
        struct UnknownPrompt: Error, CustomStringConvertible {
            let text: String
            var description: String { "no recorded token ids for \"\(text)\"" }
        }
        let table: [String: [Int]]
        func paddedTokenIDs(_ text: String) throws -> [Int] {
            guard let ids = table[text] else { throw UnknownPrompt(text: text) }
            return ids
        }
    }

    /// The recorded tokenizers for a folder's `tokenizer/` or `tokenizer_2/`.
    static func tokenizer(folder: URL) -> any PaddedTokenizer {
        RecordedTokenizer(table: folder.lastPathComponent == "tokenizer_2" ? metadata.tokens_2 : metadata.tokens)
    }

    /// Loads a fixture folder through the public loader, with the test schedulers.
    static func pipeline(_ folder: URL = base, variant: String? = "fp16") throws -> SDXLPipeline {
        try SDXLPipeline.load(from: folder, variant: variant, makeScheduler: TestEulerScheduler.init(configurationFile:),
                              makeTokenizer: tokenizer(folder:))
    }

    /// A temporary copy of `folder`.
    static func temporaryCopy(of folder: URL = base) throws -> URL {
        let destination = FileManager.default.temporaryDirectory.appendingPathComponent("sdxl-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: folder, to: destination)
        return destination
    }

    /// The turbo folder: the base weights with Turbo's `model_index.json` and `scheduler/` on top
    /// (the fixture stores only those two, to avoid duplicating identical weights).
    static func turboFolder() throws -> URL {
        let folder = try temporaryCopy()
        let manager = FileManager.default
        for entry in ["model_index.json", "scheduler"] {
            try manager.removeItem(at: folder.appendingPathComponent(entry))
            try manager.copyItem(at: turboOverlay.appendingPathComponent(entry), to: folder.appendingPathComponent(entry))
        }
        return folder
    }
}

/// Numerical comparisons.
enum Compare {
    /// `max |a − b| / max |b|`: the largest error relative to the reference's scale.
    static func relativeError(_ a: Tensor, _ b: Tensor) -> Float { TensorComparison(a, b).maxRelative }

    /// `max |a − b|`.
    static func maxAbsoluteDifference(_ a: Tensor, _ b: Tensor) -> Float { TensorComparison(a, b).maxAbsolute }

    /// An image in [-1, 1] as diffusers' float output in [0, 1].
    static func unitImage(_ x: Tensor) -> Tensor { (x / 2 + 0.5).clamp(min: 0, max: 1) }
}
