import Foundation

/// A metadata row turned into typed training inputs (DiffSynth's columns).
///
/// Columns: `image` (a path relative to the dataset base path; any column named in
/// `dataFileKeys` is resolved the same way), `prompt`, optional `negative_prompt`, and the
/// extra inputs DiffSynth copies into the pipeline: `seed`, `rand_device`,
/// `num_inference_steps`, `cfg_scale`. A `latents` column (written by `diffsynth dataset`) names
/// the teacher's final latents, resolved like a file column when listed in `dataFileKeys`.
/// `num_inference_steps` may also be a set such as `1,2,4,8` (an extension of DiffSynth's
/// column): the student is then trained at a count drawn from it at every step.
public struct TrainingSample: Sendable {
    /// Where the row came from.
    public let row: MetadataRow
    /// Files named by `dataFileKeys`, resolved against the base path.
    public private(set) var files: [String: URL]
    public let prompt: String
    /// The `negative_prompt` column; nil without one (the family's default, see
    /// ``DiffusionPipeline/negativeConditioning(prompt:positive:)``).
    public let negativePrompt: String?
    /// Seed of the initial noise (negative values wrap modulo 2⁶⁴, as `torch.manual_seed`).
    public let seed: UInt64?
    /// The device the noise was drawn on; only `cpu` noise can be reproduced here.
    public let randomDevice: String
    /// The student's step counts (`num_inference_steps`): one count, or a set that each training
    /// step draws from (see ``studentSteps(atTrainingStep:seed:)``).
    public private(set) var stepChoices: [Int]?
    /// The student's guidance (`cfg_scale`); 1 when absent, as DiffSynth's default.
    public let guidanceScale: Float

    /// The image file (`image` column), if the dataset has one.
    public var image: URL? { files["image"] }

    /// The teacher's final latents (`latents` column, a safetensors file), if listed and present.
    public var latents: URL? { files["latents"] }

    /// The student's step count at global micro-step `step`: the row's only count, or one drawn
    /// uniformly from its set by a generator seeded from (`seed`, `step`) alone — so one run trains
    /// every count, and a resumed run draws exactly what the uninterrupted run drew.
    public func studentSteps(atTrainingStep step: Int, seed: UInt64) -> Int? {
        guard let choices = stepChoices, !choices.isEmpty else { return nil }
        guard choices.count > 1 else { return choices[0] }
        var generator = TorchGenerator.trainingStep(step, seed: seed ^ 0x5354_4550_434F_554E)  // "STEPCOUN": its own stream
        return choices[Int(generator.randint(low: 0, high: Int64(choices.count), count: 1)[0])]
    }

    /// The same sample trained at `choices` instead of its own `num_inference_steps`
    /// (`train --student_steps`).
    public func replacingStepChoices(with choices: [Int]) -> TrainingSample {
        var copy = self
        copy.stepChoices = choices
        return copy
    }

    /// Parses a step-count set: `4`, or `1,2,4,8` (counts in 1...``Sampler/maxSteps``, duplicates
    /// removed, in the order given). Returns nil when any part is not such a count.
    public static func parseStepChoices(_ text: String) -> [Int]? {
        var choices: [Int] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let value = Int(part.trimmingCharacters(in: .whitespaces)), (1...Sampler.maxSteps).contains(value) else { return nil }
            if !choices.contains(value) { choices.append(value) }
        }
        return choices.isEmpty ? nil : choices
    }

    /// The image file; throws, naming the row, when the row has none. `what` says what the image
    /// is for the objective (e.g. "the teacher image").
    @discardableResult
    public func requireImage(_ what: String) throws -> URL {
        if let image { return image }
        throw TrainingDataError.missing(row: row.location, what: what, hint: "column 'image', listed in --data_file_keys")
    }

    /// The same sample with file `key` pointing at `url` (an online teacher's cached image).
    public func replacingFile(_ key: String, with url: URL) -> TrainingSample {
        var copy = self
        copy.files[key] = url
        return copy
    }

    /// Parses and checks one row. Every problem throws a ``DatasetError`` naming the row and column.
    public init(row: MetadataRow, basePath: URL, dataFileKeys: [String], extraInputs: [String]) throws {
        self.row = row
        var files: [String: URL] = [:]
        for key in dataFileKeys {
            guard let value = row.fields[key], !value.isEmpty else { continue }
            let url = value.hasPrefix("/") ? URL(fileURLWithPath: value) : basePath.appendingPathComponent(value)
            guard FileManager.default.fileExists(atPath: url.path) else { throw DatasetError.missingFile(row: row.location, path: url.path) }
            files[key] = url
        }
        self.files = files
        prompt = try row.require("prompt")
        negativePrompt = row.fields["negative_prompt"]
        let extras = Set(extraInputs)
        func value(_ column: String) throws -> String? {
            guard extras.contains(column) else { return nil }
            return try row.require(column)
        }
        if let text = try value("seed") {
            guard let seed = Int64(text.trimmingCharacters(in: .whitespaces)) ?? UInt64(text.trimmingCharacters(in: .whitespaces)).map({ Int64(bitPattern: $0) }) else {
                throw DatasetError.invalidValue(row: row.location, column: "seed", value: text, expected: "an integer")
            }
            self.seed = UInt64(bitPattern: seed)
        } else { seed = nil }
        randomDevice = try value("rand_device") ?? "cpu"
        if let text = try value("num_inference_steps") {
            guard let choices = Self.parseStepChoices(text) else {
                throw DatasetError.invalidValue(row: row.location, column: "num_inference_steps", value: text,
                                                expected: "a step count in 1...\(Sampler.maxSteps) or a set such as 1,2,4,8")
            }
            stepChoices = choices
        } else { stepChoices = nil }
        if let text = try value("cfg_scale") {
            guard let scale = Float(text.trimmingCharacters(in: .whitespaces)), scale.isFinite else {
                throw DatasetError.invalidValue(row: row.location, column: "cfg_scale", value: text, expected: "a number")
            }
            guidanceScale = scale
        } else { guidanceScale = 1 }
    }
}
