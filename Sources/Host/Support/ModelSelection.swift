import ArgumentParser
import DiffSynth
import Foundation

/// How a command names its model: a folder (`--model`), DiffSynth-Studio's
/// `--model_id_with_origin_paths` / `--model_paths`, or a built-in tiny model (`--tiny FAMILY`);
/// with none of them, the embedded default (``EmbeddedModel``).
struct ModelOptions: ParsableArguments {
    @Option(name: .customLong("model"), help: "A diffusers-format model folder (e.g. ./models/Qwen/Qwen-Image). Default: the embedded model.")
    var model: String?

    @Option(name: .customLong("model_id_with_origin_paths"),
            help: "DiffSynth-Studio style 'Qwen/Qwen-Image:transformer/*.safetensors,...': the model id is looked up under --models_dir.")
    var modelIdWithOriginPaths: String?

    @Option(name: .customLong("model_paths"), help: "DiffSynth-Studio style JSON list of weight files inside one diffusers folder.")
    var modelPaths: String?

    @Option(name: .customLong("models_dir"), help: "Where model ids are looked up (DiffSynth downloads into ./models).")
    var modelsDirectory: String = ProcessInfo.processInfo.environment["DIFFSYNTH_MODEL_BASE_PATH"] ?? "./models"

    @Option(name: .customLong("tiny"), help: "Use the built-in tiny random-weight model of this family instead of a folder.")
    var tinyFamily: String?

    @Option(name: .customLong("tiny_seed"), help: "Seed of the tiny model's weights.")
    var tinySeed: UInt64 = 0

    @Option(name: .customLong("variant"), help: "Weight file variant, e.g. fp16.")
    var variant: String?

    @Option(name: .customLong("noise_dtype"),
            help: "How seeded noise is drawn: float32 (diffusers) or bfloat16 (DiffSynth-Studio's Qwen-Image). Default: the family's.")
    var noiseDType: String?

    @Option(name: .customLong("frozen_weights_dtype"),
            help: "How frozen weights (encoders, VAE, teacher, a LoRA's base model) are kept in memory: f32 (default) or bf16 — 16 bits, half the memory; exact for BF16/F16 checkpoints (F16 ones stay F16), rounded to BF16 for Float32 ones. Compute stays Float32.")
    var frozenWeightsDType: String = "f32"

    @Option(name: .customLong("device"),
            help: "cpu (default) or cuda. The CUDA backend so far finds the GPU and its libraries and checks its kernels (diffsynth cuda-check); model operations run on the CPU only, so cuda is refused with what was found.")
    var device: String = "cpu"

    @Option(name: .customLong("max_sequence_length"),
            help: "diffusers' max_sequence_length: prompt tokens the long text encoder reads (FLUX's T5: at most 512, schnell is often run at 256; Qwen-Image: at most 1024). Default 512; model folders only; SDXL refuses it (CLIP reads 77).")
    var maxSequenceLength: Int?

    @Option(name: .customLong("embedded_guidance"),
            help: "The guidance scale a guidance-distilled denoiser reads as an input (FLUX.1-dev: default 3.5, no second pass; DiffSynth-Studio's embedded_guidance). Families without one refuse it; their guidance is --cfg_scale.")
    var embeddedGuidance: Float?

    func validate() throws {
        guard ComputeDevice(rawValue: device) != nil else { throw ValidationError("--device must be cpu or cuda, got \(device)") }
        if let maxSequenceLength {
            guard maxSequenceLength >= 1 else { throw ValidationError("--max_sequence_length must be at least 1, got \(maxSequenceLength)") }
            guard tinyFamily == nil else { throw ValidationError("--max_sequence_length applies to model folders; a --tiny model keeps its own window") }
        }
        if let embeddedGuidance, !embeddedGuidance.isFinite {
            throw ValidationError("--embedded_guidance must be a finite number, got \(embeddedGuidance)")
        }
        if let noiseDType, NoisePrecision(rawValue: noiseDType) == nil {
            throw ValidationError("--noise_dtype must be float32 or bfloat16, got \(noiseDType)")
        }
        guard ["f32", "bf16"].contains(frozenWeightsDType) else {
            throw ValidationError("--frozen_weights_dtype must be f32 or bf16, got \(frozenWeightsDType)")
        }
    }

    /// The model folder these options name, nil for `--tiny`.
    func folder() throws -> URL? {
        if tinyFamily != nil { return nil }
        if let model { return URL(fileURLWithPath: model) }
        if let spec = modelIdWithOriginPaths {
            let ids = Set(spec.split(separator: ",").map { String($0.split(separator: ":").first ?? "") })
            guard ids.count == 1, let id = ids.first, !id.isEmpty else {
                throw ValidationError("--model_id_with_origin_paths: all entries must name one model id, got \(ids.sorted())")
            }
            return URL(fileURLWithPath: modelsDirectory).appendingPathComponent(id)
        }
        if let paths = modelPaths {
            guard let data = paths.data(using: .utf8), let list = try? JSONSerialization.jsonObject(with: data) as? [Any] else {
                throw ValidationError("--model_paths: expected a JSON list of file paths")
            }
            let files = list.flatMap { ($0 as? [String]) ?? [($0 as? String) ?? ""] }
            // Every file must sit inside one diffusers folder: walk up to model_index.json.
            var roots = Set<String>()
            for file in files {
                var url = URL(fileURLWithPath: file).deletingLastPathComponent()
                while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("model_index.json").path) {
                    url.deleteLastPathComponent()
                }
                guard url.path != "/" else { throw ValidationError("--model_paths: \(file) is not inside a diffusers folder with model_index.json") }
                roots.insert(url.path)
            }
            guard roots.count == 1, let root = roots.first else { throw ValidationError("--model_paths: files come from several model folders \(roots.sorted())") }
            return URL(fileURLWithPath: root)
        }
        let (embedded, searched) = EmbeddedModel.locate()
        guard let embedded else {
            throw ValidationError("no model named and the embedded default model was not found (looked in "
                + searched.map { $0.path }.joined(separator: ", ")
                + "); name one with --model FOLDER, --model_id_with_origin_paths, --model_paths, or --tiny FAMILY")
        }
        return embedded
    }

    /// Whether no option names a model, so the embedded default is used.
    var namesNoModel: Bool { tinyFamily == nil && model == nil && modelIdWithOriginPaths == nil && modelPaths == nil }

    /// The size to sample at when the command gives none: the embedded model's own when it is the
    /// default, else the family's.
    func resolution(height: Int?, width: Int?, of pipeline: any DiffusionPipeline) -> (height: Int, width: Int) {
        let fallback = namesNoModel ? EmbeddedModel.resolution : pipeline.descriptor.defaultResolution
        return (height ?? fallback.height, width ?? fallback.width)
    }

    /// Loads the model.
    func load() throws -> any DiffusionPipeline {
        if ComputeDevice(rawValue: device) == .cuda { try Self.refuseCUDA() }
        var pipeline: any DiffusionPipeline
        if frozenWeightsDType == "bf16" {
            // Narrowed while loading (the load's peak is the 16-bit model), the rest after.
            pipeline = try LoadedWeights.$keepInHalfPrecision.withValue(true) { try loadFloat32() }
            note("--frozen_weights_dtype bf16: \(pipeline.keepFrozenWeightsInHalfPrecision())")
        } else {
            pipeline = try loadFloat32()
        }
        if let embeddedGuidance {
            guard pipeline.embeddedGuidance != nil else {
                throw ValidationError("--embedded_guidance: the \(pipeline.descriptor.family) model has no guidance embedding; its guidance is --cfg_scale")
            }
            pipeline.embeddedGuidance = embeddedGuidance
        }
        return pipeline
    }

    private func loadFloat32() throws -> any DiffusionPipeline {
        let precision = noiseDType.flatMap(NoisePrecision.init(rawValue:))
        if let family = tinyFamily {
            let pipeline = try AdapterRegistry.shared.adapter(family: family).tiny(seed: tinySeed)
            if let precision, precision != pipeline.descriptor.noisePrecision {
                throw ValidationError("--noise_dtype: the tiny \(family) model draws \(pipeline.descriptor.noisePrecision.rawValue) noise")
            }
            return pipeline
        }
        let folder = try folder()!
        if namesNoModel {
            note("no --model given: using the embedded default model, \(folder.path) (64x64 unless --height/--width say otherwise)")
        }
        // Says where it looked and how to download, before any family tries to read it.
        guard FileManager.default.fileExists(atPath: folder.path) else {
            let repository = modelIdWithOriginPaths.flatMap { $0.split(separator: ":").first.map(String.init) }
            throw ModelFolderError.notFound(path: folder.path, repository: repository)
        }
        // Refuse a model this machine cannot hold before any of it is allocated (a 20-billion-
        // parameter Qwen-Image is 82 GB in Float32).
        if let weights = try? DiffusersFolder(folder) {
            let float32 = weights.float32Bytes(variant: variant), available = Double(ProcessInfo.processInfo.physicalMemory)
            // Nearly every weight is a layer weight, kept in 16 bits under bf16.
            let bytes = frozenWeightsDType == "bf16" ? float32 / 2 : float32
            guard bytes <= available * 0.8 else {
                throw ValidationError(String(format: "%@: its weights take about %.0f GB in %@ once loaded; this machine has %.0f GB",
                                             folder.path, bytes / 1e9, frozenWeightsDType == "bf16" ? "16 bits" : "Float32", available / 1e9))
            }
        }
        let adapter = try AdapterRegistry.shared.detect(folder: folder)
        return try adapter.load(from: folder, options: AdapterLoadOptions(variant: variant, noisePrecision: precision,
                                                                          maxSequenceLength: maxSequenceLength))
    }

    /// `--device cuda`: names what was looked for when there is no GPU; with one, says that the
    /// model's operations do not run on it yet, rather than silently running on the CPU.
    static func refuseCUDA() throws {
        let driver: CUDADriver
        do { driver = try CUDADriver() } catch { throw ValidationError("--device cuda: \(error)") }
        throw ValidationError("--device cuda: found \(driver.deviceName) (driver \(driver.library.path)), but the CUDA backend does not run "
            + "model operations yet (diffsynth cuda-check tests what it has); use --device cpu")
    }
}

/// `--rand_device`: only CPU noise can be reproduced.
func checkRandomDevice(_ device: String) throws {
    guard device == "cpu" else {
        throw ValidationError("--rand_device \(device): only cpu noise is reproducible here (it equals torch.randn on CPU bit for bit)")
    }
}
