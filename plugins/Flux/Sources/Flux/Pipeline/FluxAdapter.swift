import DiffSynth
import Foundation

/// The FLUX.1 family for the host's registry, registered by the plugin's entry point.
public enum FluxAdapter: ModelAdapter {
    /// `flux` (dev and schnell: the transformer's config says which).
    public static let family = "flux"
    /// One line for `diffsynth adapters`.
    public static let summary = "FLUX.1 dev/schnell: 12B MMDiT, CLIP-L + T5-XXL text encoders, 16-channel VAE (diffusers layout; plugin)"
    /// The component folders of a diffusers-layout FLUX.1 model.
    public static var components: [String] { FluxPipeline.components }
    /// `black-forest-labs/FLUX.1-dev`'s descriptor.
    public static var publishedDescriptor: PipelineDescriptor { .flux(guidanceEmbedded: true) }

    /// Whether `folder`'s `model_index.json` names `FluxPipeline`.
    public static func canLoad(_ folder: URL) -> Bool { FluxPipeline.canLoad(folder) }

    /// Loads the folder with its own tokenizers and scheduler.
    public static func load(from folder: URL, options: AdapterLoadOptions) throws -> any DiffusionPipeline {
        if let precision = options.noisePrecision, precision != .float32 {
            throw ConfigurationError.unsupported(path: folder.path, key: "--noise_dtype", value: precision.rawValue, supported: "float32")
        }
        // diffusers' FluxPipeline refuses max_sequence_length above 512 (schnell is often run at 256).
        let length = try options.maxSequenceLength(default: 512, range: 1...512, folder: folder)
        return try FluxPipeline.load(from: folder, options: options, maxSequenceLength: length)
    }

    /// A tiny random-weight FLUX.1-dev (guidance embedding) with byte-level stand-in tokenizers.
    public static func tiny(seed: UInt64) throws -> any DiffusionPipeline {
        try FluxPipeline.tiny(seed: seed)
    }
}

/// The C entry the host's `PluginLoader` calls: registers the FLUX adapter.
@_cdecl("diffsynth_plugin_register")
public func diffsynthPluginRegister(_ abiVersion: Int32) -> Int32 {
    guard abiVersion == PluginLoader.abiVersion else { return -1 }
    do {
        try AdapterRegistry.shared.register(FluxAdapter.self)
        return 0
    } catch {
        FileHandle.standardError.write(Data("flux plugin: \(error)\n".utf8))
        return 1
    }
}
