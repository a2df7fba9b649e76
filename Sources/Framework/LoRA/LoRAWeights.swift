/// LoRA matrices by layer path, independent of any file format.
public struct LoRAWeights: Sendable {
    /// One layer's low-rank pair: `down` = A (rank × in), `up` = B (out × rank), and the scale
    /// implied by the file (`alpha / rank` where a file stores alpha, else 1).
    public struct Pair: Sendable {
        public let down: Tensor
        public let up: Tensor
        public let scale: Float
        public init(down: Tensor, up: Tensor, scale: Float = 1) {
            self.down = down
            self.up = up
            self.scale = scale
        }
    }

    public var layers: [String: Pair]

    public init(layers: [String: Pair]) { self.layers = layers }

    /// Key naming conventions for saved LoRAs.
    public enum KeyFormat: String, Sendable, CaseIterable {
        /// DiffSynth-Studio's (peft's in-model names): `<layer>.lora_A.default.weight`.
        case diffSynth
        /// peft / diffusers `save_pretrained` names: `<layer>.lora_A.weight`.
        case peft
    }

    /// The tensors to save, under the given key format. A layer whose scale is not 1 also gets
    /// `<layer>.alpha` (= scale × rank), which DiffSynth's, kohya's and our loaders all apply.
    public func stateDict(format: KeyFormat = .diffSynth) -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        let infix = format == .diffSynth ? ".default" : ""
        for (path, pair) in layers {
            result["\(path).lora_A\(infix).weight"] = pair.down
            result["\(path).lora_B\(infix).weight"] = pair.up
            if pair.scale != 1 { result["\(path).alpha"] = Tensor(scalar: pair.scale * Float(pair.down.shape[0])) }
        }
        return result
    }

    /// Reads LoRA tensors in any of the common key formats: DiffSynth/peft
    /// (`lora_A[.default].weight`), kohya-style `lora_down`/`lora_up` with optional `.alpha`,
    /// and the prefixes `diffusion_model.`, `transformer.`, `unet.` and `base_model.model.`
    /// (stripped, as DiffSynth's loader and diffusers do).
    public init(stateDict: [String: Tensor], file: String = "LoRA") throws {
        var downs: [String: Tensor] = [:], ups: [String: Tensor] = [:], alphas: [String: Float] = [:]
        for (key, tensor) in stateDict {
            var parts = key.split(separator: ".").map(String.init)
            if parts.last == "weight" { parts.removeLast() }
            var kind: String?
            if let index = parts.lastIndex(where: { ["lora_A", "lora_down"].contains($0) }) {
                kind = "down"; parts.removeSubrange(index...)
            } else if let index = parts.lastIndex(where: { ["lora_B", "lora_up"].contains($0) }) {
                kind = "up"; parts.removeSubrange(index...)
            } else if parts.last == "alpha" {
                kind = "alpha"; parts.removeLast()
            }
            guard let kind else { throw LoRAError.unrecognizedKey(file: file, key: key) }
            var path = parts.joined(separator: ".")
            for prefix in ["base_model.model.", "diffusion_model.", "transformer.", "unet."] where path.hasPrefix(prefix) {
                path.removeFirst(prefix.count)
            }
            switch kind {
            case "down": downs[path] = tensor
            case "up": ups[path] = tensor
            default: alphas[path] = tensor.item()
            }
        }
        var layers: [String: Pair] = [:]
        for path in Set(downs.keys).union(ups.keys) {
            guard let down = downs[path], let up = ups[path] else { throw LoRAError.incompletePair(file: file, layer: path) }
            let scale = alphas[path].map { $0 / Float(down.shape[0]) } ?? 1
            layers[path] = Pair(down: down, up: up, scale: scale)
        }
        self.layers = layers
    }
}
