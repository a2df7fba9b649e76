import Foundation

/// Options for loading a model folder.
public struct AdapterLoadOptions: Sendable {
    /// Weight file variant, e.g. `fp16` for `diffusion_pytorch_model.fp16.safetensors`.
    public var variant: String?
    /// Overrides how seeded noise is drawn (e.g. DiffSynth's bf16 draw for Qwen-Image).
    public var noisePrecision: NoisePrecision?
    /// Build the folder's configuration with PyTorch-default random weights from this seed instead
    /// of reading weight files (which may be absent): the start of training a model from scratch.
    public var randomWeights: UInt64?
    /// diffusers' `max_sequence_length`: how many prompt tokens the long text encoder reads (T5 for
    /// FLUX, Qwen2.5-VL for Qwen-Image); nil is the family's default (512). A family whose window is
    /// fixed (SDXL's CLIP, 77 tokens) refuses it, and each family checks diffusers' bounds.
    public var maxSequenceLength: Int?

    public init(variant: String? = nil, noisePrecision: NoisePrecision? = nil, randomWeights: UInt64? = nil,
                maxSequenceLength: Int? = nil) {
        self.variant = variant
        self.noisePrecision = noisePrecision
        self.randomWeights = randomWeights
        self.maxSequenceLength = maxSequenceLength
    }

    /// `maxSequenceLength`, or `default`, checked against `range` (diffusers' bounds for the family).
    /// - Throws: ``ConfigurationError/unsupported(path:key:value:supported:)`` naming `folder` and the flag.
    public func maxSequenceLength(default value: Int, range: ClosedRange<Int>, folder: URL) throws -> Int {
        guard let length = maxSequenceLength else { return value }
        guard range.contains(length) else {
            throw ConfigurationError.unsupported(path: folder.path, key: "--max_sequence_length", value: "\(length)",
                                                 supported: "\(range.lowerBound)...\(range.upperBound), as diffusers allows for this family")
        }
        return length
    }
}

/// A model family the host can load: the type-level entry point of an adapter (built in or
/// from a plugin). Registration is explicit — ``AdapterRegistry/register(_:origin:)`` — never
/// through hidden static initialisers.
public protocol ModelAdapter {
    /// Family identifier used on the command line (`--family qwen-image`).
    static var family: String { get }
    /// One line: what the family is.
    static var summary: String { get }
    /// The descriptor of the family's published full-size model (what `diffsynth adapters` shows;
    /// tiny models may differ in sizes).
    static var publishedDescriptor: PipelineDescriptor { get }
    /// The component folders of a diffusers-layout model of this family.
    static var components: [String] { get }
    /// Whether `folder` holds a model of this family (e.g. by `model_index.json`'s `_class_name`).
    static func canLoad(_ folder: URL) -> Bool
    /// Loads a model folder; errors name the file or key at fault.
    static func load(from folder: URL, options: AdapterLoadOptions) throws -> any DiffusionPipeline
    /// A tiny random-weight model of the family's real architecture, for conformance tests and smoke runs.
    static func tiny(seed: UInt64) throws -> any DiffusionPipeline
}

/// Where registered adapters come from, for `diffsynth adapters`.
public struct RegisteredAdapter {
    public let adapter: any ModelAdapter.Type
    /// `built-in` or the plugin file path.
    public let origin: String
}

/// The families the host knows. Built-in adapters and plugins register here; lookups are by
/// family name or by inspecting a model folder.
public final class AdapterRegistry: @unchecked Sendable {
    /// The process-wide registry (plugins register into this same instance: the host exports its
    /// symbols so a plugin's reference to it resolves to the host's copy).
    public static let shared = AdapterRegistry()

    private let lock = NSLock()
    private var entries: [RegisteredAdapter] = []
    /// The plugin file being loaded, so its registrations are attributed to it.
    private var loadingOrigin: String?

    public init() {}

    /// Adds an adapter; a family registered twice keeps the first registration and throws.
    /// `origin` defaults to the plugin being loaded, else `built-in`.
    public func register(_ adapter: any ModelAdapter.Type, origin: String? = nil) throws {
        try lock.withLock {
            let origin = origin ?? loadingOrigin ?? "built-in"
            if let existing = entries.first(where: { $0.adapter.family == adapter.family }) {
                throw AdapterError.duplicateFamily(adapter.family, existing: existing.origin, new: origin)
            }
            entries.append(RegisteredAdapter(adapter: adapter, origin: origin))
        }
    }

    /// Runs a plugin's registration with its file as the origin of what it registers.
    func attributing<R>(to origin: String, _ body: () throws -> R) rethrows -> R {
        lock.withLock { loadingOrigin = origin }
        defer { lock.withLock { loadingOrigin = nil } }
        return try body()
    }

    /// Every registered adapter, in registration order.
    public var all: [RegisteredAdapter] { lock.withLock { entries } }

    /// The adapter of `family`.
    public func adapter(family: String) throws -> any ModelAdapter.Type {
        let entries = all
        guard let entry = entries.first(where: { $0.adapter.family == family }) else {
            throw AdapterError.unknownFamily(family, known: entries.map { $0.adapter.family })
        }
        return entry.adapter
    }

    /// The adapter that recognises `folder`.
    public func detect(folder: URL) throws -> any ModelAdapter.Type {
        let entries = all
        guard let entry = entries.first(where: { $0.adapter.canLoad(folder) }) else {
            throw AdapterError.unrecognizedFolder(folder.path, known: entries.map { $0.adapter.family })
        }
        return entry.adapter
    }
}

/// Why an adapter could not be found or registered.
public enum AdapterError: Error, CustomStringConvertible {
    case unknownFamily(String, known: [String])
    case unrecognizedFolder(String, known: [String])
    case duplicateFamily(String, existing: String, new: String)
    case plugin(path: String, reason: String)

    public var description: String {
        switch self {
        case .unknownFamily(let family, let known): return "unknown model family '\(family)' (known: \(known.joined(separator: ", ")))"
        case .unrecognizedFolder(let path, let known):
            return "\(path): not a model folder of any known family (known: \(known.joined(separator: ", "))); expected a diffusers folder with model_index.json"
        case .duplicateFamily(let family, let existing, let new): return "model family '\(family)' from \(new) is already registered by \(existing)"
        case .plugin(let path, let reason): return "\(path): \(reason)"
        }
    }
}
