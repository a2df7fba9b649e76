import Foundation

/// The tiny SDXL folder of `Tools/reference/sdxl_guidance_fixtures.py` and its variants.
enum SDXLGuidanceFixture {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let folder = fixtures.appendingPathComponent("sdxl-guidance-tiny")
    static let referenceFolder = fixtures.appendingPathComponent("sdxl-guidance-tiny-reference")

    /// A copy of the folder at `destination`, with sdxl-turbo's scheduler (EulerAncestral
    /// "trailing") when `turbo`, and `force_zeros_for_empty_prompt` set to `forceZeros`.
    static func copy(to destination: URL, turbo: Bool = false, forceZeros: Bool = true) throws -> URL {
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: folder, to: destination)
        let indexURL = destination.appendingPathComponent("model_index.json")
        var index = try JSONSerialization.jsonObject(with: Data(contentsOf: indexURL)) as! [String: Any]
        if turbo {
            index["scheduler"] = ["diffusers", "EulerAncestralDiscreteScheduler"]
            let scheduler = destination.appendingPathComponent("scheduler/scheduler_config.json")
            try FileManager.default.removeItem(at: scheduler)
            try FileManager.default.copyItem(at: referenceFolder.appendingPathComponent("turbo_scheduler.json"), to: scheduler)
        }
        index["force_zeros_for_empty_prompt"] = forceZeros
        try JSONSerialization.data(withJSONObject: index).write(to: indexURL)
        return destination
    }
}
