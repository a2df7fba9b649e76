import Foundation

/// Writes a pipeline's weights into a diffusers-layout folder, one file per component.
public enum ModelFolderWriter {
    /// Replaces each component's weights in `folder` (`<component>/<weightsFile>`) with the
    /// pipeline's current values, stored as `dtype`. Other weight files of the component (shards,
    /// indexes, variants) are removed first so the folder stays unambiguous; each file is written
    /// atomically.
    public static func writeWeights(of pipeline: any DiffusionPipeline, to folder: URL, dtype: SafetensorsDType = .f32,
                                    components names: [String]? = nil) throws {
        let manager = FileManager.default
        for component in pipeline.components where names?.contains(component.name) ?? true {
            let directory = folder.appendingPathComponent(component.name)
            try manager.createDirectory(at: directory, withIntermediateDirectories: true)
            for file in (try? manager.contentsOfDirectory(atPath: directory.path)) ?? []
            where file.hasSuffix(".safetensors") || file.hasSuffix(".safetensors.index.json") {
                try manager.removeItem(at: directory.appendingPathComponent(file))
            }
            let tensors = component.module.stateDict().sorted { $0.key < $1.key }.map { (name: $0.key, tensor: $0.value) }
            try SafetensorsWriter.write(tensors, dtype: dtype, metadata: ["format": "pt"], to: directory.appendingPathComponent(component.weightsFile))
        }
    }
}
