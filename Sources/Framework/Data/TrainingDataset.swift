import Foundation

/// A DiffSynth-style dataset: a metadata file whose rows become ``TrainingSample``s.
public enum TrainingDataset {
    /// Loads and checks every row up front, so a bad row stops the run before it starts, with an
    /// error naming the file, line and column.
    ///
    /// - Parameters:
    ///   - metadata: `metadata.csv`, `.json` or `.jsonl`.
    ///   - basePath: folder that relative file paths are resolved against (`--dataset_base_path`).
    ///   - dataFileKeys: columns holding file paths (`--data_file_keys`, DiffSynth default `image,video`).
    ///   - extraInputs: columns passed to the pipeline (`--extra_inputs`), e.g. `seed,rand_device,num_inference_steps,cfg_scale`.
    public static func load(metadata url: URL, basePath: URL, dataFileKeys: [String], extraInputs: [String]) throws -> [TrainingSample] {
        let metadata = try Metadata(contentsOf: url)
        let file = url.lastPathComponent
        // Columns every row needs must exist at all (JSON rows may still omit optional ones).
        for column in ["prompt"] + extraInputs where !metadata.columns.contains(column) {
            throw DatasetError.missingColumn(file: file, column: column)
        }
        if dataFileKeys.contains("image") && !metadata.columns.contains("image") && !dataFileKeys.contains("video") {
            throw DatasetError.missingColumn(file: file, column: "image")
        }
        return try metadata.rows.map {
            try TrainingSample(row: $0, basePath: basePath, dataFileKeys: dataFileKeys, extraInputs: extraInputs)
        }
    }
}
