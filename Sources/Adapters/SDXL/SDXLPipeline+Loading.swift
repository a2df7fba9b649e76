import DiffSynth
import Foundation

extension SDXLPipeline {
    /// The component folders of an SDXL diffusers folder that carry weights or settings.
    public static let components = ["unet", "vae", "text_encoder", "text_encoder_2", "scheduler"]

    /// Whether `folder` is a diffusers SDXL folder (`model_index.json` names a
    /// `StableDiffusionXL…Pipeline`).
    public static func canLoad(_ folder: URL) -> Bool {
        (try? DiffusersFolder(folder))?.pipelineClass.hasPrefix("StableDiffusionXL") ?? false
    }

    /// Loads a diffusers SDXL folder as `stabilityai/stable-diffusion-xl-base-1.0` and
    /// `stabilityai/sdxl-turbo` ship them (`unet/`, `text_encoder/`, `text_encoder_2/`,
    /// `tokenizer/`, `tokenizer_2/`, `vae/`, `scheduler/`, `model_index.json`).
    ///
    /// Every configuration is read and checked, and every weight file opened, before any weight is
    /// read; each component then loads strictly (every key present, none left over, shapes equal),
    /// so a wrong or damaged folder fails with an error naming the file and key and never
    /// computes. F16/BF16 weights (e.g. `variant: "fp16"`) are widened to Float32 one tensor at a
    /// time; models are built with uninitialised parameters that the load fills.
    ///
    /// - Parameters:
    ///   - variant: weight file variant (`fp16` reads `*.fp16.safetensors`), nil for the plain files.
    ///   - makeScheduler: builds the scheduler from `scheduler/scheduler_config.json`; by default
    ///     the framework's factory (`EulerDiscreteScheduler` for base, `EulerAncestralScheduler`
    ///     for Turbo).
    ///   - makeTokenizer: builds each tokenizer from its folder; by default the framework's CLIP
    ///     BPE tokenizer with the folder's pad token; nil loads no tokenizers
    ///     (``encode(tokenIDs:tokenIDs2:)`` still works).
    ///   - preset: sampling defaults; nil picks Turbo when the folder ships an Euler ancestral
    ///     scheduler, base otherwise.
    ///   - noisePrecision: how seeded noise is drawn (diffusers and DiffSynth draw SDXL noise in Float32).
    ///   - randomWeights: build with seeded random weights instead of reading weight files (to train from scratch).
    public static func load(
        from folder: URL, variant: String? = nil,
        makeScheduler: (URL) throws -> any Scheduler = SchedulerConfiguration.load(contentsOf:),
        makeTokenizer: ((_ folder: URL) throws -> any PaddedTokenizer)? = { try ClosureTokenizer.clip(folder: $0) },
        preset: SDXLPreset? = nil, noisePrecision: NoisePrecision = .float32, randomWeights: UInt64? = nil
    ) throws -> SDXLPipeline {
        let model = try DiffusersFolder(folder)
        guard model.pipelineClass.hasPrefix("StableDiffusionXL") else {
            throw ModelFolderError.wrongFamily(path: folder.path, found: model.pipelineClass.isEmpty ? "model without _class_name" : model.pipelineClass,
                                               expected: "StableDiffusionXLPipeline")
        }
        let folders = try Dictionary(uniqueKeysWithValues: components.map { ($0, try model.folder($0)) })
        func configuration(_ component: String, _ file: String = "config.json") throws -> URL {
            try DiffusersFolder.existingFile(folders[component]!.appendingPathComponent(file))
        }
        // 1. Configurations, checked individually and against each other.
        let unetConfiguration = try UNetConfiguration(contentsOf: configuration("unet"))
        let vaeConfiguration = try AutoencoderKLConfiguration(contentsOf: configuration("vae"))
        let textConfiguration = try CLIPTextConfiguration(contentsOf: configuration("text_encoder"), hasProjection: false)
        let textConfiguration2 = try CLIPTextConfiguration(contentsOf: configuration("text_encoder_2"), hasProjection: true)
        let schedulerFile = try configuration("scheduler", "scheduler_config.json")
        // Uninitialised parameters filled by the load, or seeded random ones to train from scratch.
        let uninitialized = randomWeights.map { ParameterScope(.random(seed: $0)) } ?? ParameterScope(.uninitialized)
        let unet = UNet2DConditionModel(configuration: unetConfiguration, scope: uninitialized)
        let vae = AutoencoderKL(configuration: vaeConfiguration, scope: uninitialized)
        let textEncoder = CLIPTextEncoder(configuration: textConfiguration, scope: uninitialized)
        let textEncoder2 = CLIPTextEncoder(configuration: textConfiguration2, scope: uninitialized)
        let tokenizers = try makeTokenizer.map { make in
            (first: try make(try model.folder("tokenizer")), second: try make(try model.folder("tokenizer_2")))
        }
        let schedulerClass = model.components["scheduler"]?.className ?? ""
        let pipeline = try SDXLPipeline(unet: unet, textEncoder: textEncoder, textEncoder2: textEncoder2, vae: vae,
                                        scheduler: try makeScheduler(schedulerFile), tokenizers: tokenizers,
                                        forceZerosForEmptyPrompt: try forceZeros(in: folder),
                                        preset: preset ?? SDXLPreset.forScheduler(className: schedulerClass),
                                        noisePrecision: noisePrecision, origin: folder.path)
        if randomWeights == nil {
            // Every weight file, opened and header-checked, then read.
            let weights = try Dictionary(uniqueKeysWithValues: ["unet", "vae", "text_encoder", "text_encoder_2"].map {
                ($0, try model.weights($0, variant: variant))
            })
            try unet.load(from: weights["unet"]!, sourceName: weights["unet"]!.url.path)
            try vae.load(from: AutoencoderKL.weightSource(weights["vae"]!), sourceName: weights["vae"]!.url.path)
            try textEncoder.load(from: CLIPTextEncoder.weightSource(weights["text_encoder"]!), sourceName: weights["text_encoder"]!.url.path)
            try textEncoder2.load(from: CLIPTextEncoder.weightSource(weights["text_encoder_2"]!),
                                  sourceName: weights["text_encoder_2"]!.url.path)
        }
        // Everything starts frozen, so inference outside `withNoGrad` records nothing; training
        // unfreezes the denoiser (full fine-tuning) or injects LoRA into it.
        for module in [unet, textEncoder, textEncoder2, vae] as [any Module] { module.freeze() }
        return pipeline
    }

    /// `force_zeros_for_empty_prompt` of `model_index.json` (diffusers' default: true).
    private static func forceZeros(in folder: URL) throws -> Bool {
        struct Index: Decodable { var force_zeros_for_empty_prompt: Bool? }
        return try ConfigurationFile.decode(Index.self, from: folder.appendingPathComponent("model_index.json"))
            .force_zeros_for_empty_prompt ?? true
    }
}
