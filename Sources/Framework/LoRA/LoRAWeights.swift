import Foundation

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

    /// The metadata key under which diffusers' `save_lora_weights` stores each component's peft
    /// `LoraConfig` (`"<prefix>.r"`, `"<prefix>.lora_alpha"`, …) as JSON.
    public static let diffusersMetadataKey = "lora_adapter_metadata"

    /// A LoRA file's tensors and header metadata, named so that both DiffSynth-Studio and the
    /// family's diffusers pipeline load it (see ``LoRAFileConvention``):
    ///
    /// - DiffSynth's names always (`.lora_A.default.weight` for ``KeyFormat/diffSynth``,
    ///   `.lora_A.weight` for ``KeyFormat/peft``);
    /// - where diffusers would not read those (SDXL, or any family in the peft format), the same
    ///   pairs again under diffusers' own names, `<prefix>.<layer>.lora_A.weight`, with the peft
    ///   config diffusers writes (`lora_adapter_metadata`: rank, alpha, targets) so a scale other
    ///   than 1 survives. The unprefixed copy then carries its scale inside `lora_A` instead of an
    ///   `.alpha` key (diffusers refuses files with keys that do not contain "lora"), which is how
    ///   DiffSynth's loader applies `.alpha` anyway (`lora_A · alpha / rank`).
    public func file(format: KeyFormat, convention: LoRAFileConvention?) -> (tensors: [String: Tensor], metadata: [String: String]) {
        guard let convention, format == .peft || !convention.diffusersConvertsDiffSynthNames else {
            return (stateDict(format: format), [:])
        }
        var tensors: [String: Tensor] = [:]
        let infix = format == .diffSynth ? ".default" : ""
        let prefix = convention.diffusersPrefix
        for (path, pair) in layers {
            tensors["\(path).lora_A\(infix).weight"] = pair.scale == 1 ? pair.down : pair.down * pair.scale
            tensors["\(path).lora_B\(infix).weight"] = pair.up
            tensors["\(prefix).\(path).lora_A.weight"] = pair.down
            tensors["\(prefix).\(path).lora_B.weight"] = pair.up
        }
        return (tensors, [Self.diffusersMetadataKey: peftConfigJSON(prefix: prefix)])
    }

    /// peft's `LoraConfig` for these layers as diffusers packs it: the most common rank and alpha,
    /// with `rank_pattern` / `alpha_pattern` for the layers that differ.
    private func peftConfigJSON(prefix: String) -> String {
        func mostCommon(_ values: [Double]) -> Double {
            let counts = Dictionary(values.map { ($0, 1) }, uniquingKeysWith: +)
            return counts.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }?.key ?? 1
        }
        let paths = layers.keys.sorted()
        let ranks = paths.map { Double(layers[$0]!.down.shape[0]) }
        let alphas = paths.map { Double(layers[$0]!.scale) * Double(layers[$0]!.down.shape[0]) }
        let rank = mostCommon(ranks), alpha = mostCommon(alphas)
        var rankPattern: [String: Double] = [:], alphaPattern: [String: Double] = [:]
        for (i, path) in paths.enumerated() {
            if ranks[i] != rank { rankPattern[path] = ranks[i] }
            if alphas[i] != alpha { alphaPattern[path] = alphas[i] }
        }
        let config: [String: Any] = [
            "\(prefix).r": Int(rank), "\(prefix).lora_alpha": alpha, "\(prefix).target_modules": paths,
            "\(prefix).rank_pattern": rankPattern.mapValues { Int($0) }, "\(prefix).alpha_pattern": alphaPattern,
            "\(prefix).lora_dropout": 0.0, "\(prefix).bias": "none", "\(prefix).use_rslora": false, "\(prefix).use_dora": false,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// Reads LoRA tensors in any of the common key formats: DiffSynth/peft
    /// (`lora_A[.default].weight`), kohya-style `lora_down`/`lora_up` with optional `.alpha`,
    /// and the prefixes `diffusion_model.`, `transformer.`, `unet.` and `base_model.model.`
    /// (stripped, as DiffSynth's loader and diffusers do).
    ///
    /// - Parameter metadata: the file's header metadata. diffusers' `lora_adapter_metadata` (the
    ///   peft config of each prefix) gives the layers under that prefix their scale,
    ///   `lora_alpha / r` (with `alpha_pattern` / `rank_pattern`, and `/ √r` for rsLoRA), as
    ///   `load_lora_weights` applies it.
    /// - A layer stored both under a diffusers prefix and without one (the files ``file(format:convention:)``
    ///   writes) is read from the prefixed copy.
    public init(stateDict: [String: Tensor], file: String = "LoRA", metadata: [String: String] = [:]) throws {
        struct Entry { var down: Tensor?; var up: Tensor?; var alpha: Float?; var prefix: String? }
        var entries: [String: [String: Entry]] = [:]   // path → prefix ("" = none) → tensors
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
            var source = ""
            for prefix in ["base_model.model.", "diffusion_model.", "transformer.", "unet."] where path.hasPrefix(prefix) {
                path.removeFirst(prefix.count)
                if prefix == "transformer." || prefix == "unet." { source = String(prefix.dropLast()) }
            }
            var entry = entries[path, default: [:]][source, default: Entry(prefix: source.isEmpty ? nil : source)]
            switch kind {
            case "down": entry.down = tensor
            case "up": entry.up = tensor
            default: entry.alpha = tensor.item()
            }
            entries[path, default: [:]][source] = entry
        }
        let configs = try Self.peftConfigs(metadata, file: file)
        var layers: [String: Pair] = [:]
        for (path, sources) in entries {
            // The diffusers-prefixed copy where there is one (it carries the unscaled lora_A).
            guard let entry = sources.values.first(where: { $0.prefix != nil }) ?? sources[""] else { continue }
            guard let down = entry.down, let up = entry.up else { throw LoRAError.incompletePair(file: file, layer: path) }
            let rank = Float(down.shape[0])
            var scale = entry.alpha.map { $0 / rank } ?? 1
            if entry.alpha == nil, let prefix = entry.prefix, let config = configs[prefix] { scale = config.scale(of: path, rank: rank) }
            layers[path] = Pair(down: down, up: up, scale: scale)
        }
        self.layers = layers
    }

    /// The subset of peft's `LoraConfig` that sets a layer's scale.
    struct PeftScaling {
        var r: Float
        var alpha: Float
        var rankPattern: [String: Float]
        var alphaPattern: [String: Float]
        var rsLoRA: Bool

        /// peft's pattern rule: a key matches a module whose name is the key or ends in `.key`.
        private static func lookup(_ patterns: [String: Float], _ path: String) -> Float? {
            patterns.first { path == $0.key || path.hasSuffix("." + $0.key) }?.value
        }

        func scale(of path: String, rank: Float) -> Float {
            let r = Self.lookup(rankPattern, path) ?? self.r
            let alpha = Self.lookup(alphaPattern, path) ?? self.alpha
            return rsLoRA ? alpha / r.squareRoot() : alpha / r
        }
    }

    /// diffusers' `lora_adapter_metadata`, by prefix (`transformer`, `unet`, `text_encoder`, …).
    static func peftConfigs(_ metadata: [String: String], file: String) throws -> [String: PeftScaling] {
        guard let text = metadata[diffusersMetadataKey] else { return [:] }
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw LoRAError.badMetadata(file: file, reason: "\(diffusersMetadataKey) is not a JSON object")
        }
        func number(_ value: Any?) -> Float? { (value as? NSNumber)?.floatValue }
        var prefixes = Set<String>()
        for key in object.keys { if let dot = key.lastIndex(of: ".") { prefixes.insert(String(key[..<dot])) } }
        var result: [String: PeftScaling] = [:]
        for prefix in prefixes {
            guard let r = number(object["\(prefix).r"]) else { continue }
            guard r > 0, r.isFinite else { throw LoRAError.badMetadata(file: file, reason: "\(prefix).r is \(r)") }
            let alpha = number(object["\(prefix).lora_alpha"]) ?? r
            guard alpha.isFinite else { throw LoRAError.badMetadata(file: file, reason: "\(prefix).lora_alpha is \(alpha)") }
            func patterns(_ name: String) -> [String: Float] {
                ((object["\(prefix).\(name)"] as? [String: Any]) ?? [:]).compactMapValues(number)
            }
            let ranks = patterns("rank_pattern")
            if let bad = ranks.first(where: { !($0.value > 0 && $0.value.isFinite) }) {
                throw LoRAError.badMetadata(file: file, reason: "\(prefix).rank_pattern['\(bad.key)'] is \(bad.value)")
            }
            result[prefix] = PeftScaling(r: r, alpha: alpha, rankPattern: ranks, alphaPattern: patterns("alpha_pattern"),
                                         rsLoRA: (object["\(prefix).use_rslora"] as? Bool) ?? false)
        }
        return result
    }
}
