import DiffSynth
import Foundation

/// The family's entry point for the host's registry.
public enum ExamplePixelAdapter: ModelAdapter {
    public static let family = "example-pixel"
    public static let summary = "Example plugin: a tiny pixel-space flow model (shows how to add a family out of tree)"
    public static let components = ["denoiser"]
    static let pipelineClass = "ExamplePixelPipeline"
    /// The one size this family has.
    public static var publishedDescriptor: PipelineDescriptor { ExamplePixelPipeline.descriptor }

    public static func canLoad(_ folder: URL) -> Bool {
        (try? DiffusersFolder(folder))?.pipelineClass == pipelineClass
    }

    /// Loads `model_index.json` + `denoiser/diffusion_pytorch_model.safetensors`, strictly.
    public static func load(from folder: URL, options: AdapterLoadOptions) throws -> any DiffusionPipeline {
        let model = try DiffusersFolder(folder)
        guard model.pipelineClass == pipelineClass else {
            throw ModelFolderError.wrongFamily(path: folder.path, found: model.pipelineClass, expected: pipelineClass)
        }
        let denoiser = ExampleDenoiser(ParameterScope(.uninitialized))
        try denoiser.load(from: try model.weights("denoiser", variant: options.variant), sourceName: folder.appendingPathComponent("denoiser").path)
        return try ExamplePixelPipeline(model: denoiser)
    }

    public static func tiny(seed: UInt64) throws -> any DiffusionPipeline {
        try ExamplePixelPipeline(model: ExampleDenoiser(ParameterScope(.random(seed: seed))))
    }
}

/// The C entry the host's `PluginLoader` calls: registers this plugin's adapters.
@_cdecl("diffsynth_plugin_register")
public func diffsynthPluginRegister(_ abiVersion: Int32) -> Int32 {
    guard abiVersion == PluginLoader.abiVersion else { return -1 }
    do {
        try AdapterRegistry.shared.register(ExamplePixelAdapter.self)
        return 0
    } catch {
        FileHandle.standardError.write(Data("example-pixel plugin: \(error)\n".utf8))
        return 1
    }
}
