import Foundation

/// Injecting, attaching, fusing and naming low-rank adapters on a model's ``Linear`` layers.
public enum LoRA {
    /// Whether a layer at `path` is targeted by `targets`, peft's rule: the full path equals a
    /// target or ends with `"." + target` (so `to_q` matches `transformer_blocks.3.attn.to_q`,
    /// and `to_out.0` matches `…attn.to_out.0`).
    public static func matches(_ path: String, targets: [String]) -> Bool {
        targets.contains { path == $0 || path.hasSuffix("." + $0) }
    }

    /// Adds a trainable adapter named `default` to every targeted ``Linear`` layer and freezes
    /// every other parameter of `model` (peft's behaviour on first injection).
    ///
    /// - Parameters:
    ///   - rank: adapter rank r.
    ///   - alpha: scaling numerator; the update is scaled by `alpha / rank` (default alpha = rank,
    ///     scale 1, as DiffSynth's scripts use).
    ///   - seed: seeds the Kaiming-uniform initialisation of the A matrices.
    /// - Returns: the adapted layers.
    /// - Throws: ``LoRAError/noTargetMatched(_:)`` when no layer matches, so a typo never trains nothing.
    @discardableResult
    public static func inject(into model: any Module, targets: [String], rank: Int, alpha: Float? = nil,
                              seed: UInt64 = 0) throws -> [Linear] {
        guard rank > 0 else { throw LoRAError.tooLarge(rank: rank, reason: "the rank must be positive") }
        let layers = model.linearLayers().filter { matches($0.path, targets: targets) }
        guard !layers.isEmpty else { throw LoRAError.noTargetMatched(targets) }
        // Training keeps each adapter value with its gradient and two AdamW moments: 16 bytes per
        // parameter. Refuse what cannot fit before allocating any of it.
        let widths = layers.reduce(0.0) { $0 + Double($1.inFeatures + $1.outFeatures) }
        let bytes = Double(rank) * widths * 16
        let available = Double(ProcessInfo.processInfo.physicalMemory)
        guard bytes <= available * 0.8 else {
            throw LoRAError.tooLarge(rank: rank, reason: String(format: "%d adapted layers would need about %.0f GB to train; this machine has %.0f GB",
                                                                 layers.count, bytes / 1e9, available / 1e9))
        }
        model.freeze()
        var generator = TorchGenerator(seed: seed)
        let scale = (alpha ?? Float(rank)) / Float(rank)
        for layer in layers {
            // kaiming_uniform_(a=√5) on an (r × in) matrix: bound = 1/√in.
            let bound = 1 / Float(layer.inFeatures).squareRoot()
            let a = Tensor(shape: [rank, layer.inFeatures],
                           scalars: generator.rand(count: rank * layer.inFeatures).map { ($0 * 2 - 1) * bound })
            let adapter = LoRAAdapter(
                name: "default",
                down: Parameter(name: "\(layer.path).lora_A.default.weight", value: a),
                up: Parameter(name: "\(layer.path).lora_B.default.weight", value: Tensor.zeros([layer.outFeatures, rank])),
                scale: scale)
            layer.adapters.append(adapter)
        }
        return layers
    }

    /// Applies saved LoRA weights (``LoRAWeights``) to `model` as frozen adapters scaled by
    /// `scale` ("hot" loading: reversible with ``detach(from:named:)``).
    /// - Throws: ``LoRAError/unknownLayer(_:)`` for a layer the model does not have, or shape errors.
    public static func attach(_ weights: LoRAWeights, to model: any Module, scale: Float = 1, name: String = "hot") throws {
        let layers = Dictionary(model.linearLayers().map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        for (path, pair) in weights.layers.sorted(by: { $0.key < $1.key }) {
            guard let layer = layers[path] else { throw LoRAError.unknownLayer(path) }
            guard pair.down.shape[1] == layer.inFeatures, pair.up.shape[0] == layer.outFeatures, pair.up.shape[1] == pair.down.shape[0] else {
                throw LoRAError.shapeMismatch(layer: path, down: pair.down.shape, up: pair.up.shape, weight: layer.weight.shape)
            }
            let adapter = LoRAAdapter(
                name: name,
                down: Parameter(name: "\(path).lora_A.\(name).weight", value: pair.down, isTrainable: false),
                up: Parameter(name: "\(path).lora_B.\(name).weight", value: pair.up, isTrainable: false),
                scale: scale * pair.scale)
            layer.adapters.append(adapter)
        }
    }

    /// Removes the adapters called `name` from every layer.
    public static func detach(from model: any Module, named name: String) {
        for layer in model.linearLayers() { layer.adapters.removeAll { $0.name == name } }
    }

    /// Merges every adapter into its layer's weight (`W ← W + scale·B·A`) and removes it.
    public static func fuse(_ model: any Module) {
        for layer in model.linearLayers() where !layer.adapters.isEmpty {
            var weight = layer.weight.value.detached()
            for adapter in layer.adapters { weight = withNoGrad { weight + adapter.denseUpdate() } }
            layer.weight.assign(weight)
            layer.adapters.removeAll()
        }
    }

    /// The trained (`default`) adapters of `model` as LoRA weights, for saving.
    public static func trainedWeights(of model: any Module, adapter name: String = "default") -> LoRAWeights {
        var layers: [String: LoRAWeights.Pair] = [:]
        for layer in model.linearLayers() {
            for adapter in layer.adapters where adapter.name == name {
                layers[layer.path] = .init(down: adapter.down.value.detached(), up: adapter.up.value.detached(), scale: adapter.scale)
            }
        }
        return LoRAWeights(layers: layers)
    }
}

/// Why a LoRA could not be applied. Each case names the layer or targets at fault.
public enum LoRAError: Error, CustomStringConvertible {
    case noTargetMatched([String])
    case unknownLayer(String)
    case shapeMismatch(layer: String, down: [Int], up: [Int], weight: [Int])
    case unrecognizedKey(file: String, key: String)
    case incompletePair(file: String, layer: String)
    case badMetadata(file: String, reason: String)
    case tooLarge(rank: Int, reason: String)

    public var description: String {
        switch self {
        case .noTargetMatched(let targets):
            return "LoRA target modules \(targets.joined(separator: ",")) match no Linear layer of the model"
        case .unknownLayer(let layer):
            return "LoRA layer '\(layer)' does not exist in the model"
        case .shapeMismatch(let layer, let down, let up, let weight):
            return "LoRA layer '\(layer)': lora_A \(down) and lora_B \(up) do not fit the weight \(weight)"
        case .unrecognizedKey(let file, let key):
            return "\(file): '\(key)' is not a LoRA key (expected …lora_A/lora_B/lora_down/lora_up…/alpha)"
        case .incompletePair(let file, let layer):
            return "\(file): layer '\(layer)' has only one of lora_A/lora_B"
        case .badMetadata(let file, let reason):
            return "\(file): header metadata: \(reason)"
        case .tooLarge(let rank, let reason):
            return "LoRA rank \(rank) (--lora_rank): \(reason)"
        }
    }
}
