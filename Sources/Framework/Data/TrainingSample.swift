import Foundation

/// A metadata row turned into typed training inputs (DiffSynth's columns).
///
/// Columns: `image` (a path relative to the dataset base path; any column named in
/// `dataFileKeys` is resolved the same way), `prompt`, optional `negative_prompt`, and the
/// extra inputs DiffSynth copies into the pipeline: `seed`, `rand_device`,
/// `num_inference_steps`, `cfg_scale`.
public struct TrainingSample: Sendable {
    /// Where the row came from.
    public let row: MetadataRow
    /// Files named by `dataFileKeys`, resolved against the base path.
    public private(set) var files: [String: URL]
    public let prompt: String
    public let negativePrompt: String
    /// Seed of the initial noise (negative values wrap modulo 2⁶⁴, as `torch.manual_seed`).
    public let seed: UInt64?
    /// The device the noise was drawn on; only `cpu` noise can be reproduced here.
    public let randomDevice: String
    /// The student's step count (`num_inference_steps`).
    public let steps: Int?
    /// The student's guidance (`cfg_scale`); 1 when absent, as DiffSynth's default.
    public let guidanceScale: Float

    /// The image file (`image` column), if the dataset has one.
    public var image: URL? { files["image"] }

    /// Throws, naming the row, when the row has no image file; `what` says what the image is for
    /// the objective (e.g. "the teacher image").
    public func requireImage(_ what: String) throws {
        guard image == nil else { return }
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
        negativePrompt = row.fields["negative_prompt"] ?? ""
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
            guard let steps = Int(text.trimmingCharacters(in: .whitespaces)), steps > 0 else {
                throw DatasetError.invalidValue(row: row.location, column: "num_inference_steps", value: text, expected: "a positive integer")
            }
            self.steps = steps
        } else { steps = nil }
        if let text = try value("cfg_scale") {
            guard let scale = Float(text.trimmingCharacters(in: .whitespaces)), scale.isFinite else {
                throw DatasetError.invalidValue(row: row.location, column: "cfg_scale", value: text, expected: "a number")
            }
            guidanceScale = scale
        } else { guidanceScale = 1 }
    }
}
