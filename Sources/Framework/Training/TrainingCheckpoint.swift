import Foundation

/// Saving what training produced and what resuming needs.
///
/// Two files per save, both written atomically:
/// - the weights, as DiffSynth names them: `step-N.safetensors` / `epoch-K.safetensors` holding
///   the trained LoRA (`<layer>.lora_A.default.weight`, …) or the trained module's full state dict
///   (diffusers' keys for that component, so it can replace the component's weight file);
/// - `training_state.safetensors`: optimiser moments, any gradient accumulated mid-window, and
///   in its metadata the next step, the optimiser step count, the weights file and the run's
///   fingerprint. Resuming from it continues the run exactly (same data order, same draws,
///   same loss curve).
enum TrainingCheckpoint {
    static let stateFileName = "training_state.safetensors"

    struct State {
        var nextStep: Int
        var optimizerSteps: Int
        var weightsFile: String
        var fingerprint: [String: String]
        var optimizer: [String: Tensor]
        var accumulatedGradients: [String: Tensor]
    }

    /// The tensors (and header metadata) to save for the trained parameters: a LoRA named so that
    /// the family's diffusers pipeline and DiffSynth-Studio both load it (see ``LoRAFileConvention``).
    static func weights(of module: any Module, configuration: TrainerConfiguration,
                        loraFiles: LoRAFileConvention?) -> (tensors: [String: Tensor], metadata: [String: String]) {
        var tensors: [String: Tensor]
        var metadata: [String: String] = [:]
        switch configuration.trainable {
        case .lora:
            (tensors, metadata) = LoRA.trainedWeights(of: module).file(format: configuration.loraKeyFormat, convention: loraFiles)
        case .full:
            tensors = Dictionary(module.trainableParameters().map { ($0.name, $0.value.detached()) }, uniquingKeysWith: { a, _ in a })
        }
        let prefix = configuration.removePrefixInCheckpoint
        guard !prefix.isEmpty else { return (tensors, metadata) }
        return (Dictionary(tensors.map { ($0.key.hasPrefix(prefix) ? String($0.key.dropFirst(prefix.count)) : $0.key, $0.value) },
                           uniquingKeysWith: { a, _ in a }), metadata)
    }

    static func save(weights: [String: Tensor], name: String, state: State, metadata: [String: String],
                     configuration: TrainerConfiguration) throws -> URL {
        let directory = configuration.outputPath
        let weightsURL = directory.appendingPathComponent(name)
        try SafetensorsWriter.write(weights.sorted { $0.key < $1.key }.map { (name: $0.key, tensor: $0.value) },
                                    dtype: configuration.saveDType, metadata: metadata.merging(["format": "pt"]) { a, _ in a },
                                    to: weightsURL)
        var tensors: [(name: String, tensor: Tensor)] = []
        for (key, value) in state.optimizer.sorted(by: { $0.key < $1.key }) { tensors.append(("optimizer/\(key)", value)) }
        for (key, value) in state.accumulatedGradients.sorted(by: { $0.key < $1.key }) { tensors.append(("gradient/\(key)", value)) }
        var stateMetadata = state.fingerprint.mapKeys { "fingerprint/\($0)" }
        stateMetadata["next_step"] = "\(state.nextStep)"
        stateMetadata["optimizer_steps"] = "\(state.optimizerSteps)"
        stateMetadata["weights_file"] = name
        // Full-precision training state regardless of the weights' save type: resume must be exact.
        try SafetensorsWriter.write(tensors, dtype: .f32, metadata: stateMetadata, to: directory.appendingPathComponent(stateFileName))
        return weightsURL
    }

    /// Reads a training state from a file or from the output folder that holds one.
    static func load(from url: URL) throws -> (state: State, weights: [String: Tensor]) {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
        let stateURL = exists && isDirectory.boolValue ? url.appendingPathComponent(stateFileName) : url
        guard FileManager.default.fileExists(atPath: stateURL.path) else { throw TrainingError.noTrainingState(stateURL.path) }
        let file = try SafetensorsFile(url: stateURL)
        func number(_ key: String) throws -> Int {
            guard let text = file.metadata[key], let value = Int(text) else { throw TrainingError.corruptTrainingState(stateURL.path, key) }
            return value
        }
        guard let weightsName = file.metadata["weights_file"] else { throw TrainingError.corruptTrainingState(stateURL.path, "weights_file") }
        var optimizer: [String: Tensor] = [:], gradients: [String: Tensor] = [:]
        for name in file.names {
            if name.hasPrefix("optimizer/") { optimizer[String(name.dropFirst(10))] = try file.tensor(name) }
            if name.hasPrefix("gradient/") { gradients[String(name.dropFirst(9))] = try file.tensor(name) }
        }
        let fingerprint = Dictionary(file.metadata.filter { $0.key.hasPrefix("fingerprint/") }.map { (String($0.key.dropFirst(12)), $0.value) },
                                     uniquingKeysWith: { a, _ in a })
        let weightsFile = try SafetensorsFile(url: stateURL.deletingLastPathComponent().appendingPathComponent(weightsName))
        var weights: [String: Tensor] = [:]
        for name in weightsFile.names { weights[name] = try weightsFile.tensor(name) }
        return (State(nextStep: try number("next_step"), optimizerSteps: try number("optimizer_steps"), weightsFile: weightsName,
                      fingerprint: fingerprint, optimizer: optimizer, accumulatedGradients: gradients), weights)
    }
}

extension Dictionary where Key == String {
    func mapKeys(_ transform: (String) -> String) -> [String: Value] {
        Dictionary<String, Value>(map { (transform($0.key), $0.value) }, uniquingKeysWith: { a, _ in a })
    }
}
