import ArgumentParser
import DiffSynth
import Foundation

/// `diffsynth train`: the shared trainer, with DiffSynth-Studio's `train.py` flag names, so its
/// shell scripts run with `accelerate launch examples/…/train.py` replaced by `diffsynth train`.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train with Direct Distillation (offline or online) or supervised fine-tuning.",
        discussion: """
        Tasks: direct_distill (teacher latents or images in the dataset), direct_distill_online (--teacher_model \
        samples them, cached on disk), trajectory_imitation (each student step imitates the teacher's steps between \
        the same noise levels; the teacher is --teacher_model or the base model), sft, autoencoder (trains a \
        component such as --trainable_models vae to reconstruct the images).

        Step counts, checkpoint names (step-N / epoch-K .safetensors) and loss.csv follow DiffSynth-Studio; \
        docs/flags.md says what each of DiffSynth-Studio's flags does here.
        """)

    @OptionGroup var plugins: PluginOptions
    @OptionGroup var model: ModelOptions

    // Data
    @Option(name: .customLong("dataset_base_path"), help: "Folder that image paths in the metadata are relative to.")
    var datasetBasePath: String = ""
    @Option(name: .customLong("dataset_metadata_path"), help: "metadata.csv / .json / .jsonl.")
    var datasetMetadataPath: String?
    @Option(name: .customLong("data_file_keys"), help: "Columns holding file paths.")
    var dataFileKeys: String = "image,video"
    @Option(name: .customLong("extra_inputs"), help: "Columns passed to the pipeline, e.g. seed,rand_device,num_inference_steps,cfg_scale.")
    var extraInputs: String?
    @Option(name: .customLong("height"), help: "Fixed training height (images are resized/cropped to it).")
    var height: Int?
    @Option(name: .customLong("width"), help: "Fixed training width.")
    var width: Int?
    @Option(name: .customLong("max_pixels"), help: "Dynamic resolution: images larger than this are scaled down.")
    var maxPixels: Int = 1_048_576
    @Option(name: .customLong("dataset_repeat"), help: "Times each row appears per epoch.")
    var datasetRepeat: Int = 1
    @Option(name: .customLong("dataset_num_workers"), help: "Accepted for compatibility; images load in-process and their encodings are cached.")
    var datasetNumWorkers: Int = 0

    // Optimisation
    @Option(name: .customLong("learning_rate")) var learningRate: Float = 1e-4
    @Option(name: .customLong("weight_decay")) var weightDecay: Float = 0.01
    @Option(name: .customLong("num_epochs")) var numEpochs: Int = 1
    @Option(name: .customLong("gradient_accumulation_steps")) var gradientAccumulationSteps: Int = 1
    @Option(name: .customLong("warmup_steps"), help: "Linear warm-up over this many optimiser steps (DiffSynth's lr/3-for-5-steps quirk is not copied).")
    var warmupSteps: Int = 0
    @Option(name: .customLong("max_grad_norm"), help: "Clip the global gradient norm.")
    var maxGradNorm: Float?
    @Option(name: .customLong("seed"), help: "Seed of the data order and of SFT's timestep/noise draws (negative seeds wrap, as torch.manual_seed).")
    var seedValue: Int64 = 0
    /// The seed as torch.manual_seed takes it: negative values wrap modulo 2⁶⁴.
    var seed: UInt64 { UInt64(bitPattern: seedValue) }
    @Option(name: .customLong("max_steps"), help: "Stop after this many steps (resumable).")
    var maxSteps: Int?
    @Option(name: .customLong("prompt_dropout"), help: "sft: probability of training on the empty prompt (learns the unconditional branch CFG needs).")
    var promptDropout: Float = 0

    // What to train
    @Option(name: .customLong("task"), help: "direct_distill, direct_distill_online, trajectory_imitation, sft or autoencoder.")
    var task: String = "sft"
    @Option(name: .customLong("trainable_models"), help: "Train this model fully: dit / unet / transformer / denoiser, or a component such as vae.")
    var trainableModels: String?
    @Option(name: .customLong("lora_base_model"), help: "Inject LoRA into this model: dit / unet / transformer / denoiser.")
    var loraBaseModel: String?
    @Option(name: .customLong("lora_target_modules"), help: "Comma list of layer-name suffixes; empty = the family's defaults.")
    var loraTargetModules: String = "q,k,v,o,ffn.0,ffn.2"
    @Option(name: .customLong("lora_rank")) var loraRank: Int = 32
    @Option(name: .customLong("lora_alpha"), help: "LoRA alpha (default: the rank, scale 1, as DiffSynth).")
    var loraAlpha: Float?
    @Option(name: .customLong("lora_checkpoint"), help: "Initial LoRA weights.")
    var loraCheckpoint: String?
    @Option(name: .customLong("lora_format"),
            help: "Saved LoRA key names: diffsynth (...lora_A.default.weight) or peft (...lora_A.weight); either loads in diffusers and DiffSynth-Studio.")
    var loraFormat: String = "diffsynth"
    @Option(name: .customLong("preset_lora_path"), help: "A LoRA fused into the base model before training.")
    var presetLoraPath: String?
    @Option(name: .customLong("preset_lora_model"), help: "The model the preset LoRA is fused into.")
    var presetLoraModel: String?
    @Flag(name: .customLong("use_gradient_checkpointing")) var useGradientCheckpointing = false

    // Direct Distillation
    @Option(name: .customLong("student_shift"), help: "Student schedule shift: 'inference' (the resolution's own, default) or a fixed mu such as 0.8 (DiffSynth).")
    var studentShift: String = "inference"
    @Option(name: .customLong("distill_target"),
            help: "direct_distill: auto (the teacher's latents where the dataset has them, else its image), image (DiffSynth's), or latents.")
    var distillTarget: String = "auto"
    @Option(name: .customLong("student_steps"), help: "Train the student at these step counts (e.g. 1,2,4,8: one drawn per step) instead of each row's num_inference_steps.")
    var studentSteps: String?
    @Option(name: .customLong("teacher_model"), help: "direct_distill_online (any family), trajectory_imitation (default: the base model): the teacher's folder.")
    var teacherModel: String?
    @Option(name: .customLong("teacher_tiny"), help: "direct_distill_online, trajectory_imitation: a built-in tiny teacher of this family.")
    var teacherTiny: String?
    @Option(name: .customLong("teacher_steps")) var teacherSteps: Int?
    @Option(name: .customLong("teacher_cfg_scale")) var teacherCfgScale: Float?
    @Option(name: .customLong("teacher_embedded_guidance"),
            help: "direct_distill_online, trajectory_imitation: the teacher's embedded guidance (FLUX.1-dev; default: its own 3.5, or --embedded_guidance for the base model).")
    var teacherEmbeddedGuidance: Float?

    // Output
    @Option(name: .customLong("output_path")) var outputPath: String = "./models"
    @Option(name: .customLong("remove_prefix_in_ckpt"), help: "Removed from saved names (ours are already relative to the denoiser).")
    var removePrefixInCkpt: String = "pipe.dit."
    @Option(name: .customLong("save_steps"), help: "Save every N steps; default once per epoch.")
    var saveSteps: Int?
    @Option(name: .customLong("save_dtype"), help: "f32, bf16 or f16.")
    var saveDType: String = "f32"
    @Flag(name: .customLong("enable_csv_log"), help: "Write loss.csv (always on; accepted for compatibility).")
    var enableCsvLog = false
    @Option(name: .customLong("resume_from_checkpoint"), help: "An output folder or training_state.safetensors to continue exactly; or a full-model .safetensors to start from.")
    var resumeFromCheckpoint: String?

    // Accepted, no effect here
    @Flag(name: .customLong("find_unused_parameters"), help: "Accepted for compatibility (every trainable parameter is all-reduced).")
    var findUnusedParameters = false
    @Flag(name: .customLong("initialize_model_on_cpu"), help: "Accepted for compatibility (everything is on the CPU).") var initializeModelOnCPU = false
    @Option(name: .customLong("tokenizer_path"), help: "Accepted when it names the model folder's own tokenizer/ (the one used).")
    var tokenizerPath: String?
    @Option(name: .customLong("tokenizer_2_path"), help: "SDXL: accepted when it names the model folder's own tokenizer_2/.")
    var tokenizer2Path: String?
    @Option(name: .customLong("wandb_project"), help: "Accepted for compatibility (it names a project only for --enable_wandb_log).")
    var wandbProject: String?
    @Option(name: .customLong("swanlab_project"), help: "Accepted for compatibility (it names a project only for --enable_swanlab_log).")
    var swanlabProject: String?

    // Data parallel
    @Option(name: .customLong("distributed"), help: "auto (MPI when started by mpirun/srun), mpi, or none.")
    var distributed: String = "auto"
    @Flag(name: .customLong("verbose"), help: "Every rank prints its progress, not only rank 0.")
    var verbose = false

    // Rejected: say why
    @Option(name: .customLong("fp8_models")) var fp8Models: String?
    @Option(name: .customLong("offload_models")) var offloadModels: String?
    @Option(name: .customLong("quant_options")) var quantOptions: String?
    @Option(name: .customLong("customized_optimizer")) var customizedOptimizer: String?
    @Option(name: .customLong("cpu_offload_split_threshold")) var cpuOffloadSplitThreshold: String?
    @Flag(name: .customLong("enable_model_cpu_offload")) var enableModelCPUOffload = false
    @Flag(name: .customLong("enable_optimizer_cpu_offload")) var enableOptimizerCPUOffload = false
    @Flag(name: .customLong("use_gradient_checkpointing_offload")) var useGradientCheckpointingOffload = false
    @Flag(name: .customLong("enable_tensorboard_log")) var enableTensorboardLog = false
    @Flag(name: .customLong("enable_swanlab_log")) var enableSwanlabLog = false
    @Flag(name: .customLong("enable_wandb_log")) var enableWandbLog = false
    @Flag(name: .customLong("align_to_opensource_format")) var alignToOpensourceFormat = false
    @Flag(name: .customLong("zero_cond_t")) var zeroCondT = false
    @Option(name: .customLong("processor_path")) var processorPath: String?
    @Option(name: .customLong("template_model_id_or_path")) var templateModel: String?
    @Flag(name: .customLong("enable_lora_hot_loading")) var enableLoRAHotLoading = false

    func validate() throws {
        let rejected: [(Bool, String, String)] = [
            (fp8Models != nil, "--fp8_models", "FP8 storage is a GPU memory saver; weights are widened to float32 on load here"),
            (offloadModels != nil, "--offload_models", "disk offload belongs to split training, which is unnecessary here (encoder outputs are cached in memory)"),
            (quantOptions != nil, "--quant_options", "quantised base models are not supported; weights are float32"),
            (customizedOptimizer != nil, "--customized_optimizer", "only AdamW (PyTorch semantics) is available"),
            (cpuOffloadSplitThreshold != nil, "--cpu_offload_split_threshold", "everything already runs on the CPU"),
            (enableModelCPUOffload, "--enable_model_cpu_offload", "everything already runs on the CPU"),
            (enableOptimizerCPUOffload, "--enable_optimizer_cpu_offload", "everything already runs on the CPU"),
            (useGradientCheckpointingOffload, "--use_gradient_checkpointing_offload", "activations already live in CPU memory; use --use_gradient_checkpointing"),
            (enableTensorboardLog, "--enable_tensorboard_log", "only the CSV log (loss.csv) is available"),
            (enableSwanlabLog, "--enable_swanlab_log", "only the CSV log (loss.csv) is available"),
            (enableWandbLog, "--enable_wandb_log", "only the CSV log (loss.csv) is available"),
            (alignToOpensourceFormat, "--align_to_opensource_format", "kohya-format export is not implemented; use --lora_format peft for diffusers/ComfyUI"),
            (zeroCondT, "--zero_cond_t", "it applies to Qwen-Image-Edit-2511 only"),
            (processorPath != nil, "--processor_path", "the processor reads Qwen-Image-Edit's input images; editing models are not supported"),
            (templateModel != nil, "--template_model_id_or_path", "template models (image-to-LoRA) are not supported"),
            (enableLoRAHotLoading, "--enable_lora_hot_loading", "it belongs to template (image-to-LoRA) models, which are not supported"),
        ]
        if let (_, flag, why) = rejected.first(where: { $0.0 }) { throw ValidationError("\(flag) is not supported: \(why)") }
        try checkTokenizer(tokenizerPath, flag: "--tokenizer_path", folder: "tokenizer")
        try checkTokenizer(tokenizer2Path, flag: "--tokenizer_2_path", folder: "tokenizer_2")
        if task.contains(":") {
            throw ValidationError("--task \(task): two-stage split training is not needed here — frozen text-encoder and VAE outputs are cached in memory; use --task \(task.split(separator: ":")[0])")
        }
        guard ["auto", "mpi", "none"].contains(distributed) else { throw ValidationError("--distributed must be auto, mpi or none") }
        let tasks = ["direct_distill", "direct_distill_online", "trajectory_imitation", "sft", "autoencoder"]
        guard tasks.contains(task) else { throw ValidationError("--task \(task) is not one of \(tasks.joined(separator: ", "))") }
        guard DirectDistillLoss.Target(rawValue: distillTarget) != nil else {
            throw ValidationError("--distill_target \(distillTarget) is not one of auto, image, latents")
        }
        if let studentSteps, TrainingSample.parseStepChoices(studentSteps) == nil {
            throw ValidationError("--student_steps \(studentSteps): give a step count in 1...\(Sampler.maxSteps) or a set such as 1,2,4,8")
        }
        guard (trainableModels == nil) != (loraBaseModel == nil) else {
            throw ValidationError("choose exactly one of --lora_base_model (LoRA) and --trainable_models (full fine-tuning)")
        }
        if let value = loraBaseModel, !["dit", "unet", "transformer", "denoiser"].contains(value) {
            throw ValidationError("--lora_base_model \(value): LoRA goes into the denoiser (dit / unet / transformer / denoiser)")
        }
        if let value = trainableModels, value.contains(",") {
            throw ValidationError("--trainable_models \(value): train one model per run")
        }
        if task == "direct_distill_online" && teacherModel == nil && teacherTiny == nil {
            throw ValidationError("--task direct_distill_online needs --teacher_model FOLDER or --teacher_tiny FAMILY")
        }
        if datasetMetadataPath == nil { throw ValidationError("--dataset_metadata_path is required") }
        if (height == nil) != (width == nil) { throw ValidationError("give both --height and --width, or neither") }
        guard ["f32", "bf16", "f16"].contains(saveDType) else { throw ValidationError("--save_dtype must be f32, bf16 or f16") }
        guard ["diffsynth", "peft"].contains(loraFormat) else { throw ValidationError("--lora_format must be diffsynth or peft") }
        if studentShift != "inference" && Float(studentShift) == nil { throw ValidationError("--student_shift must be 'inference' or a number") }
        for (flag, value) in [("--dataset_repeat", datasetRepeat), ("--num_epochs", numEpochs), ("--gradient_accumulation_steps", gradientAccumulationSteps), ("--lora_rank", loraRank)] where value < 1 {
            throw ValidationError("\(flag) must be at least 1")
        }
        try InputChecks.requireFinite([("--learning_rate", learningRate), ("--weight_decay", weightDecay), ("--max_grad_norm", maxGradNorm),
                                       ("--prompt_dropout", promptDropout), ("--lora_alpha", loraAlpha), ("--teacher_cfg_scale", teacherCfgScale),
                                       ("--teacher_embedded_guidance", teacherEmbeddedGuidance)])
        guard learningRate > 0 else { throw ValidationError("--learning_rate must be positive, got \(learningRate)") }
        guard weightDecay >= 0 else { throw ValidationError("--weight_decay must be at least 0, got \(weightDecay)") }
        if let maxGradNorm, maxGradNorm <= 0 { throw ValidationError("--max_grad_norm must be positive, got \(maxGradNorm)") }
        guard (0...1).contains(promptDropout) else { throw ValidationError("--prompt_dropout must be in 0...1, got \(promptDropout)") }
        if let loraAlpha, loraAlpha <= 0 { throw ValidationError("--lora_alpha must be positive, got \(loraAlpha)") }
        try InputChecks.require("--save_steps", saveSteps, in: 1...Int.max)
        try InputChecks.require("--max_steps", maxSteps, in: 1...Int.max)
        try InputChecks.require("--warmup_steps", warmupSteps, in: 0...Int.max)
        try InputChecks.require("--max_pixels", maxPixels, in: 1...Int.max)
        try InputChecks.requireSteps("--teacher_steps", teacherSteps)
        try InputChecks.requireSides(height: height, width: width)
        if let height, let width { try InputChecks.requireMemory(height: height, width: width) }
    }

    /// DiffSynth loads a tokenizer from anywhere; the adapters read the model folder's own. A path
    /// naming that folder is what would be used anyway; any other is refused rather than ignored.
    private func checkTokenizer(_ path: String?, flag: String, folder name: String) throws {
        guard let path else { return }
        let own = (try? model.folder())?.map { $0.appendingPathComponent(name).standardizedFileURL.resolvingSymlinksInPath().path }
        let given = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        guard let own else {
            throw ValidationError("\(flag) \(path): the model comes with its own tokenizer here; name a model folder with --model")
        }
        guard own == given else {
            throw ValidationError("\(flag) \(path): only the model folder's own tokenizer is read (\(own)); copy or link this one there")
        }
    }

    /// Paths checked before any work (not in `validate`, which parsing alone runs).
    private func checkFiles() throws {
        if let datasetMetadataPath { try InputChecks.requireReadableFile(datasetMetadataPath, flag: "--dataset_metadata_path") }
        try InputChecks.requireOutputFolder(outputPath, flag: "--output_path")
    }

    func run() throws {
        try DiffSynthCommand.report {
            try checkFiles()
            let group = try processGroup()
            do {
                try train(group: group)
                (group as? MPIProcessGroup)?.finish()
            } catch {
                // A failing rank reports and ends the whole job: the others would wait in the next all-reduce forever.
                guard group.size > 1 else { (group as? MPIProcessGroup)?.finish(); throw error }
                FileHandle.standardError.write(Data("error: rank \(group.rank) of \(group.size): \(error)\n".utf8))
                group.abort(code: 1)
            }
        }
    }

    /// MPI when a launcher started this process (or --distributed mpi asks), otherwise one process.
    private func processGroup() throws -> any ProcessGroup {
        guard distributed == "mpi" || (distributed == "auto" && MPIProcessGroup.launchedByMPI) else { return SingleProcess() }
        let group = try MPIProcessGroup()
        if group.isLeader {
            note("data parallel: \(group.size) ranks over MPI (\(group.library)), \(Parallel.coreCount) thread\(Parallel.coreCount == 1 ? "" : "s") per rank")
        }
        return group
    }

    private func train(group: any ProcessGroup) throws {
        // Only rank 0 speaks, unless --verbose.
        let speaks = group.isLeader || verbose
        func say(_ text: String) { if speaks { note(group.size > 1 ? "[rank \(group.rank)] " + text : text) } }
        try plugins.registerAdapters()
        let pipeline = try model.load()
        if let presetLoraPath {
            try applyLoRA(presetLoraPath, scale: 1, to: pipeline)
            LoRA.fuse(pipeline.denoiser)
        }
        if let resume = resumeFromCheckpoint, resume.hasSuffix(".safetensors"), !resume.hasSuffix("training_state.safetensors") {
            // DiffSynth's meaning: a full-model state dict to start from.
            try pipeline.denoiser.load(from: SafetensorsFile(url: URL(fileURLWithPath: resume)), sourceName: resume, strict: false) {
                $0.hasPrefix(removePrefixInCkpt) ? String($0.dropFirst(removePrefixInCkpt.count)) : $0
            }
        }
        let objective = try makeObjective(for: pipeline)
        let images = DatasetImages(height: height, width: width, maxPixels: maxPixels, multiple: pipeline.descriptor.resolutionMultiple)
        let samples = try loadSamples(pipeline: pipeline)
        for warning in try images.check(samples) where task != "sft" { say("warning: " + warning) }
        let cache = TrainingCache(loadImage: images.load)
        if let dd = objective as? DirectDistillLoss {
            let onLatents = try samples.filter { try dd.teacherLatents(of: $0, pipeline: pipeline, read: cache.teacherLatents) != nil }.count
            say("targets: the teacher's latents for \(onLatents) rows, the VAE encoding of the teacher image for \(samples.count - onLatents)")
        }
        var configuration = TrainerConfiguration(trainable: try trainable(for: pipeline), outputPath: URL(fileURLWithPath: outputPath))
        configuration.trainedModule = trainableModels ?? "denoiser"
        _ = try pipeline.trainableModule(named: configuration.trainedModule)
        configuration.learningRate = learningRate
        configuration.weightDecay = weightDecay
        configuration.epochs = numEpochs
        configuration.datasetRepeat = datasetRepeat
        configuration.gradientAccumulationSteps = gradientAccumulationSteps
        configuration.warmupSteps = warmupSteps
        configuration.maxGradNorm = maxGradNorm
        configuration.saveSteps = saveSteps
        configuration.seed = seed
        configuration.gradientCheckpointing = useGradientCheckpointing
        configuration.loraKeyFormat = loraFormat == "peft" ? .peft : .diffSynth
        configuration.saveDType = SafetensorsDType(rawValue: saveDType.uppercased()) ?? .f32
        configuration.loraCheckpoint = loraCheckpoint.map { URL(fileURLWithPath: $0) }
        configuration.maxSteps = maxSteps
        let trainer = Trainer(pipeline: pipeline, objective: objective, samples: samples, configuration: configuration,
                              cache: cache, group: group)
        let resume = resumeFromCheckpoint.flatMap { $0.hasSuffix(".safetensors") && !$0.hasSuffix("training_state.safetensors") ? nil : URL(fileURLWithPath: $0) }
        var progress: Progress?
        let losses = try trainer.run(resumeFrom: resume) { event in
            switch event {
            case .started(let total, let parameters, let resumedAt):
                say("training \(parameters) parameters for \(total) steps (\(samples.count) rows × \(datasetRepeat) × \(numEpochs) epochs"
                     + (group.size > 1 ? " over \(group.size) ranks" : "") + ")" + (resumedAt.map { ", resuming at step \($0 + 1)" } ?? ""))
                if speaks { progress = Progress("train", total: total) }
            case .step(let p):
                progress?.update(p.step, String(format: "loss %.6f", p.loss))
            case .checkpoint(let url):
                say("saved \(url.path)")
            case .note(let text):
                say(text)
            }
        }
        if let mpi = group as? MPIProcessGroup, group.size > 1, !losses.isEmpty {
            say(String(format: "communication: %.3f s in MPI_Allreduce over %d steps (%.1f ms per step), %d bytes per step",
                        mpi.communicationSeconds, losses.count, 1000 * mpi.communicationSeconds / Double(losses.count),
                        mpi.communicatedBytes / losses.count))
        }
    }

    private func trainable(for pipeline: any DiffusionPipeline) throws -> TrainerConfiguration.Trainable {
        if trainableModels != nil { return .full }
        let targets = loraTargetModules.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return .lora(targets: targets.isEmpty ? pipeline.descriptor.defaultLoRATargets : targets, rank: loraRank, alpha: loraAlpha)
    }

    private func makeObjective(for pipeline: any DiffusionPipeline) throws -> any TrainingObjective {
        let shift: DirectDistillLoss.StudentShift = Float(studentShift).map { .fixed($0) } ?? .inference
        let student = DirectDistillLoss(studentShift: shift, target: DirectDistillLoss.Target(rawValue: distillTarget)!, seed: seed)
        /// The teacher of the online objectives: --teacher_model / --teacher_tiny, else (trajectory
        /// imitation) a second, frozen copy of the base model.
        func teacher() throws -> (pipeline: any DiffusionPipeline, settings: SamplingSettings) {
            var teacher: any DiffusionPipeline
            if teacherModel == nil && teacherTiny == nil {
                teacher = try model.load()
            } else {
                var teacherOptions = try ModelOptions.parse(teacherModel.map { ["--model", $0] } ?? ["--tiny", teacherTiny!])
                teacherOptions.variant = model.variant
                teacherOptions.frozenWeightsDType = model.frozenWeightsDType
                teacher = try teacherOptions.load()
            }
            if let teacherEmbeddedGuidance {
                guard teacher.embeddedGuidance != nil else {
                    throw ValidationError("--teacher_embedded_guidance: the \(teacher.descriptor.family) teacher has no guidance embedding; "
                        + "its guidance is --teacher_cfg_scale")
                }
                teacher.embeddedGuidance = teacherEmbeddedGuidance
            }
            let d = teacher.descriptor
            return (teacher, SamplingSettings(steps: teacherSteps ?? d.teacher.steps, guidanceScale: teacherCfgScale ?? d.teacher.guidanceScale))
        }
        let (h, w) = model.resolution(height: height, width: width, of: pipeline)
        switch task {
        case "direct_distill": return student
        case "direct_distill_online":
            let (teacher, settings) = try teacher()
            return OnlineDirectDistillLoss(teacher: teacher, teacherSettings: settings, height: h, width: w,
                                           cacheDirectory: URL(fileURLWithPath: outputPath).appendingPathComponent("teacher_cache"),
                                           student: student)
        case "trajectory_imitation":
            let (teacher, settings) = try teacher()
            return TrajectoryImitationLoss(teacher: teacher, teacherSettings: settings, height: h, width: w, studentShift: shift, seed: seed)
        case "autoencoder": return AutoencoderLoss(seed: seed)
        default: return SupervisedLoss(seed: seed, promptDropout: promptDropout)
        }
    }

    private func loadSamples(pipeline: any DiffusionPipeline) throws -> [TrainingSample] {
        // The online teachers make their own targets, so the metadata needs no file columns.
        var keys = ["direct_distill_online", "trajectory_imitation"].contains(task) ? [] : dataFileKeys.split(separator: ",").map(String.init)
        if task == "direct_distill" && distillTarget != "image" && !keys.contains("latents") { keys.append("latents") }
        let extras = (extraInputs ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard let path = datasetMetadataPath else {
            throw ValidationError("--dataset_metadata_path is required")
        }
        let samples = try TrainingDataset.load(metadata: URL(fileURLWithPath: path),
                                               basePath: URL(fileURLWithPath: datasetBasePath.isEmpty ? "." : datasetBasePath),
                                               dataFileKeys: keys, extraInputs: extras)
        guard let choices = studentSteps.flatMap(TrainingSample.parseStepChoices) else { return samples }
        return samples.map { $0.replacingStepChoices(with: choices) }
    }
}
