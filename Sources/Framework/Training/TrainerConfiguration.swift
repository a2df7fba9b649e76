import Foundation

/// Everything that shapes a training run (DiffSynth-Studio's `train.py` flags, by their meaning).
public struct TrainerConfiguration: Sendable {
    /// What is trained.
    public enum Trainable: Sendable, Equatable {
        /// Low-rank adapters on the denoiser's Linear layers whose path matches a target
        /// (peft's rule); the base model stays frozen. Alpha defaults to the rank (scale 1).
        case lora(targets: [String], rank: Int, alpha: Float?)
        /// Every parameter of the denoiser.
        case full
    }

    public var trainable: Trainable
    /// Which network is trained: `denoiser` (DiffSynth's `dit`/`unet`) or a component folder name
    /// of the pipeline such as `vae` (see ``DiffusionPipeline/trainableModule(named:)``).
    public var trainedModule: String = "denoiser"
    /// Where checkpoints, `loss.csv` and the training state go.
    public var outputPath: URL
    public var learningRate: Float = 1e-4
    /// AdamW's decoupled weight decay (DiffSynth default 0.01).
    public var weightDecay: Float = 0.01
    public var epochs: Int = 1
    /// How many times each row appears per epoch (`--dataset_repeat`).
    public var datasetRepeat: Int = 1
    /// Micro-batches (of one sample) per optimiser step.
    public var gradientAccumulationSteps: Int = 1
    /// Linear warm-up over this many optimiser steps (0: constant learning rate from the start).
    public var warmupSteps: Int = 0
    /// Clip the global gradient norm to this value before each optimiser step.
    public var maxGradNorm: Float?
    /// Save every this many micro-steps (`step-N.safetensors`); nil saves once per epoch (`epoch-K.safetensors`).
    public var saveSteps: Int?
    /// Seeds the data order (and nothing else: objectives seed their own draws from the step).
    public var seed: UInt64 = 0
    /// Shuffle the rows each epoch (as DiffSynth's DataLoader); false keeps file order.
    public var shuffle: Bool = true
    /// Recompute each denoiser block in backward (`--use_gradient_checkpointing`).
    public var gradientCheckpointing: Bool = false
    /// Key names of saved LoRA files.
    public var loraKeyFormat: LoRAWeights.KeyFormat = .diffSynth
    /// Removed from the start of saved parameter names (`--remove_prefix_in_ckpt`); our names
    /// are already relative to the denoiser, so DiffSynth's `pipe.dit.` is a no-op.
    public var removePrefixInCheckpoint: String = ""
    /// Element type of saved weights.
    public var saveDType: SafetensorsDType = .f32
    /// Write `loss.csv` (`step,key,value`).
    public var csvLog: Bool = true
    /// LoRA weights to start from (`--lora_checkpoint`).
    public var loraCheckpoint: URL?
    /// Stop after this many micro-steps in total (the run is resumable from there).
    public var maxSteps: Int?

    public init(trainable: Trainable, outputPath: URL) {
        self.trainable = trainable
        self.outputPath = outputPath
    }

    /// The settings a resumed run must share with the run it continues.
    func fingerprint(objective: String, rows: Int) -> [String: String] {
        let trainableText: String
        switch trainable {
        case .full: trainableText = "full"
        case .lora(let targets, let rank, let alpha): trainableText = "lora:\(targets.joined(separator: ",")):\(rank):\(alpha.map { "\($0)" } ?? "rank")"
        }
        return ["objective": objective, "rows": "\(rows)", "trainable": trainableText, "module": trainedModule, "learning_rate": "\(learningRate)",
                "weight_decay": "\(weightDecay)", "epochs": "\(epochs)", "dataset_repeat": "\(datasetRepeat)",
                "gradient_accumulation_steps": "\(gradientAccumulationSteps)", "warmup_steps": "\(warmupSteps)",
                "max_grad_norm": maxGradNorm.map { "\($0)" } ?? "none", "seed": "\(seed)", "shuffle": "\(shuffle)"]
    }
}
