import DiffSynth
import Foundation
import QwenImage

/// The tiny Qwen-Image fixtures made by `Tools/reference/qwen_image_fixtures.py`.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")
    /// The diffusers folder (BF16 weights, sharded transformer and text encoder).
    static let folder = root.appendingPathComponent("qwen-image-tiny")
    static let referenceFolder = root.appendingPathComponent("qwen-image-tiny-reference")

    /// Reference tensors (F32) computed by diffusers/transformers from `folder`.
    static let tensors: SafetensorsFile = try! SafetensorsFile(url: referenceFolder.appendingPathComponent("reference.safetensors"))
    /// Prompts, golden token ids, run settings and schedules.
    nonisolated(unsafe) static let json: [String: Any] = {
        let data = try! Data(contentsOf: referenceFolder.appendingPathComponent("reference.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }()

    static func tensor(_ name: String) -> Tensor { try! tensors.tensor(name) }

    static var tokenizerJSON: [String: Any] { json["tokenizer"] as! [String: Any] }
    static var prompts: [[String: Any]] { tokenizerJSON["prompts"] as! [[String: Any]] }
    static var promptTexts: [String] { prompts.map { $0["text"] as! String } }
    static func templatedIDs(_ index: Int) -> [Int] { prompts[index]["templated_ids"] as! [Int] }

    /// The fixture folder loaded through the public loader (the path a user's folder takes).
    /// The scheduler is the folder's own (`scheduler/scheduler_config.json` → `FlowMatchEulerScheduler`).
    static func pipeline() throws -> QwenImagePipeline {
        try QwenImagePipeline.load(from: folder, tokenizer: FixtureTokenizer())
    }

    /// A scratch copy of the fixture folder (for tests that break it on purpose).
    static func copyOfFolder() throws -> URL {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("qwen-image-tiny-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: folder, to: copy)
        return copy
    }
}

/// Errors of a Swift result against a reference (the framework's measure).
typealias Comparison = TensorComparison
