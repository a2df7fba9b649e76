import Foundation

/// The shared trainer: one loop for every objective and every adapter.
///
/// Batch size 1 with gradient accumulation (as DiffSynth-Studio), AdamW, constant learning rate
/// with optional linear warm-up (DiffSynth's accidental `ConstantLR` — lr/3 for the first five
/// steps — is deliberately not copied), optional global-norm clipping, a NaN/Inf guard, atomic
/// checkpoints, `loss.csv`, and exact resume.
///
/// Data parallel over a ``ProcessGroup`` of N ranks (`mpirun -np N`): every rank computes the same
/// seeded epoch order and takes positions `rank, rank + N, …` of it, so one *step* is N rows, one
/// per rank. Each rank's loss is scaled by 1/(accumulation · N) and, at the end of every
/// accumulation window, the ranks sum their gradients in one fused all-reduce, so every rank
/// applies the identical AdamW update — exactly the update of one process with gradient
/// accumulation N × accumulation over the same rows (which is what the tests check). Objectives
/// draw their random numbers from the row's position in the epoch, not from the rank, so the
/// draws are the single process's too. Rank 0 alone writes `loss.csv` (the mean loss over ranks)
/// and checkpoints; a checkpoint in the middle of a window stores the gradients summed over ranks,
/// which rank 0 alone takes back on resume.
public final class Trainer {
    public let pipeline: any DiffusionPipeline
    public let objective: any TrainingObjective
    public let samples: [TrainingSample]
    public let configuration: TrainerConfiguration
    public let cache: TrainingCache
    /// The data-parallel ranks this process trains with (``SingleProcess`` by default).
    public let group: any ProcessGroup

    public init(pipeline: any DiffusionPipeline, objective: any TrainingObjective, samples: [TrainingSample],
                configuration: TrainerConfiguration, cache: TrainingCache, group: any ProcessGroup = SingleProcess()) {
        self.pipeline = pipeline
        self.objective = objective
        self.samples = samples
        self.configuration = configuration
        self.cache = cache
        self.group = group
    }

    /// Rows (with repeats) per epoch, over all ranks.
    public var stepsPerEpoch: Int { samples.count * configuration.datasetRepeat }

    /// Steps per epoch: rows per epoch over the ranks, rounded up (the last step of an epoch may
    /// leave some ranks without a row).
    public var roundsPerEpoch: Int { (stepsPerEpoch + group.size - 1) / group.size }

    /// Steps of the whole run (each step one row per rank).
    public var totalSteps: Int { roundsPerEpoch * configuration.epochs }

    /// Sample indices of `epoch` in training order: a seeded shuffle of the repeated rows,
    /// recomputable at any time (so resuming needs no saved order).
    public func order(epoch: Int) -> [Int] {
        var indices = (0..<stepsPerEpoch).map { $0 % samples.count }
        guard configuration.shuffle else { return indices }
        var generator = TorchGenerator(seed: configuration.seed &+ UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15)
        for i in stride(from: indices.count - 1, to: 0, by: -1) {
            let j = Int(generator.randint(low: 0, high: Int64(i + 1), count: 1)[0])
            indices.swapAt(i, j)
        }
        return indices
    }

    /// Prepares the trainable parameters (LoRA injection or unfreezing) and runs.
    ///
    /// - Parameters:
    ///   - resumeFrom: an output folder or `training_state.safetensors` of an earlier run with the
    ///     same settings; training continues from its next step exactly.
    ///   - onEvent: progress, checkpoints.
    /// - Returns: the per-step losses of this session.
    @discardableResult
    public func run(resumeFrom: URL? = nil, onEvent: (TrainingEvent) -> Void = { _ in }) throws -> [Float] {
        guard !samples.isEmpty else { throw TrainingError.emptyDataset }
        guard samples.count >= group.size else { throw DistributedError.fewerRowsThanRanks(rows: samples.count, ranks: group.size) }
        for sample in samples { try objective.validate(sample, pipeline: pipeline) }
        let root = try trainedModule()
        switch configuration.trainable {
        case .lora(let targets, let rank, let alpha):
            try LoRA.inject(into: root, targets: targets, rank: rank, alpha: alpha, seed: configuration.seed)
            if let url = configuration.loraCheckpoint { try loadLoRA(from: url) }
        case .full:
            root.unfreeze()
        }
        pipeline.gradientCheckpointing = configuration.gradientCheckpointing
        let parameters = root.trainableParameters()
        let optimizer = AdamW(parameters: parameters, learningRate: configuration.learningRate, weightDecay: configuration.weightDecay)
        var fingerprint = configuration.fingerprint(objective: objective.name, rows: samples.count)
        fingerprint["ranks"] = "\(group.size)"

        var step = 0, optimizerSteps = 0
        if let resumeFrom {
            let (state, weights) = try TrainingCheckpoint.load(from: resumeFrom)
            // Checkpoints from before distributed training were all written by one process.
            for (key, value) in state.fingerprint.merging(["ranks": "1"], uniquingKeysWith: { saved, _ in saved })
            where fingerprint[key] != value {
                throw TrainingError.resumeMismatch(setting: key, checkpoint: value, now: fingerprint[key] ?? "unset")
            }
            try restore(weights: weights, file: state.weightsFile)
            try optimizer.load(stateDict: state.optimizer)
            let byName = Dictionary(parameters.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            // The saved partial window is the sum over ranks: one rank holds it, or it would count N times.
            if group.isLeader { for (name, gradient) in state.accumulatedGradients { byName[name]?.value.backward(gradient) } }
            step = state.nextStep
            optimizerSteps = state.optimizerSteps
        }
        try FileManager.default.createDirectory(at: configuration.outputPath, withIntermediateDirectories: true)
        // A run killed while saving leaves its temporary file; the next run in the folder removes it.
        if group.isLeader {
            for name in AtomicFile.removeStaleTemporaries(in: configuration.outputPath) { onEvent(.note("removed \(name), left by an interrupted save")) }
        }
        let log = configuration.csvLog && group.isLeader
            ? try CSVLog(url: configuration.outputPath.appendingPathComponent("loss.csv"), keepingStepsUpTo: resumeFrom == nil ? nil : step)
            : nil
        let lastStep = min(totalSteps, configuration.maxSteps ?? totalSteps)
        onEvent(.started(totalSteps: totalSteps, trainableParameters: parameters.reduce(0) { $0 + $1.value.count },
                         resumedAt: resumeFrom == nil ? nil : step))

        let accumulation = max(1, configuration.gradientAccumulationSteps)
        var losses: [Float] = []
        let sessionStart = Date()
        var epochOrder: (epoch: Int, indices: [Int]) = (-1, [])
        while step < lastStep {
            let stepStart = Date()
            let epoch = step / roundsPerEpoch, round = step % roundsPerEpoch
            if epochOrder.epoch != epoch { epochOrder = (epoch, order(epoch: epoch)) }
            // This rank's row of the step, if the epoch has one left for it.
            let position = round * group.size + group.rank
            var row = "no row (end of epoch)", ownLoss: Double = 0, ownRows: Double = 0
            if position < stepsPerEpoch {
                let sample = samples[epochOrder.indices[position]]
                row = sample.row.location
                let loss = try objective.loss(for: sample, step: epoch * stepsPerEpoch + position, pipeline: pipeline, cache: cache)
                let value = loss.item()
                guard value.isFinite else { throw TrainingError.nonFinite(step: step + 1, row: row, what: "the loss") }
                let scale = accumulation * group.size
                (scale == 1 ? loss : loss / Float(scale)).backward()
                (ownLoss, ownRows) = (Double(value), 1)
            }
            var totals = [ownLoss, ownRows]
            try group.allReduceSum(&totals)
            let value = group.size == 1 ? Float(ownLoss) : Float(totals[0] / totals[1])
            let endOfWindow = (round + 1) % accumulation == 0 || round == roundsPerEpoch - 1
            if endOfWindow {
                try synchronizeGradients(parameters)
                try clipAndCheck(parameters, step: step + 1, row: row)
                optimizer.learningRate = learningRate(afterSteps: optimizerSteps)
                optimizer.step()
                optimizer.zeroGrad()
                optimizerSteps += 1
            }
            step += 1
            losses.append(value)
            let elapsed = Date().timeIntervalSince(sessionStart)
            let rate = Double(losses.count) / max(elapsed, 1e-9)
            try log?.log(step: step, [("loss", Double(value)), ("lr", Double(optimizer.learningRate)),
                                      ("seconds", Date().timeIntervalSince(stepStart))])
            onEvent(.step(TrainingProgress(step: step, totalSteps: totalSteps, epoch: epoch, loss: value,
                                           learningRate: optimizer.learningRate, stepsPerSecond: rate,
                                           secondsRemaining: Double(lastStep - step) / rate, row: row)))
            var name: String?
            if let every = configuration.saveSteps {
                name = (step % every == 0 || step == totalSteps) ? "step-\(step).safetensors" : nil
            } else {
                name = step % roundsPerEpoch == 0 ? "epoch-\(step / roundsPerEpoch - 1).safetensors" : nil
            }
            // Stopped early (maxSteps): keep a resumable state even between save points.
            if name == nil && step == lastStep { name = "step-\(step).safetensors" }
            if let name {
                let url = try save(name: name, nextStep: step, optimizerSteps: optimizerSteps, optimizer: optimizer,
                                   parameters: parameters, fingerprint: fingerprint, windowOpen: !endOfWindow)
                if group.isLeader { onEvent(.checkpoint(url)) }
            }
        }
        return losses
    }

    /// The module being trained: the denoiser, or the component ``TrainerConfiguration/trainedModule`` names.
    func trainedModule() throws -> any Module { try pipeline.trainableModule(named: configuration.trainedModule) }

    /// Constant learning rate after a linear warm-up of `warmupSteps` optimiser steps.
    func learningRate(afterSteps optimizerSteps: Int) -> Float {
        let warmup = configuration.warmupSteps
        guard warmup > 0, optimizerSteps < warmup else { return configuration.learningRate }
        return configuration.learningRate * Float(optimizerSteps + 1) / Float(warmup)
    }

    /// Sums the accumulated gradients over the ranks in one fused all-reduce (a rank without a
    /// row this window contributes zeros), leaving every rank with the same gradients.
    private func synchronizeGradients(_ parameters: [Parameter]) throws {
        guard group.size > 1 else { return }
        let summed = try summedGradients(parameters)
        for p in parameters {
            p.zeroGrad()
            if let g = summed[p.name] { p.value.backward(g) }
        }
    }

    /// The gradients summed over the ranks, by name, for the parameters that have a gradient on
    /// some rank. A parameter no rank reached (e.g. a block output the model discards) stays
    /// without one, so AdamW skips it (no weight decay) exactly as in one process: the fused
    /// buffer carries one presence count per parameter after the values.
    private func summedGradients(_ parameters: [Parameter]) throws -> [String: Tensor] {
        let values = parameters.reduce(0) { $0 + $1.value.count }
        var buffer = [Float](repeating: 0, count: values + parameters.count)
        var offset = 0
        for (i, p) in parameters.enumerated() {
            if let g = p.grad {
                g.withUnsafeBufferPointer { buffer.replaceSubrange(offset..<(offset + $0.count), with: $0) }
                buffer[values + i] = 1
            }
            offset += p.value.count
        }
        try buffer.withUnsafeMutableBufferPointer { try group.allReduceSum($0) }
        offset = 0
        var result: [String: Tensor] = [:]
        for (i, p) in parameters.enumerated() {
            if buffer[values + i] > 0 {
                result[p.name] = Tensor(shape: p.value.shape, scalars: Array(buffer[offset..<(offset + p.value.count)]))
            }
            offset += p.value.count
        }
        return result
    }

    /// Σx² of a gradient in Double: on every core, four partial sums per core (a single running
    /// total would make each addition wait for the previous one).
    static func sumOfSquares(_ g: Tensor) -> Double {
        nonisolated(unsafe) let x = UnsafePointer(g.storage.pointer)
        return Parallel.mapRanges(g.count) { range in
            var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
            var i = range.lowerBound
            while i &+ 4 <= range.upperBound {
                let (a, b, c, d) = (Double(x[i]), Double(x[i &+ 1]), Double(x[i &+ 2]), Double(x[i &+ 3]))
                s0 += a * a; s1 += b * b; s2 += c * c; s3 += d * d
                i &+= 4
            }
            while i < range.upperBound { s0 += Double(x[i]) * Double(x[i]); i &+= 1 }
            return (s0 + s1) + (s2 + s3)
        }.reduce(0, +)
    }

    /// Global-norm clipping (when configured) and the NaN/Inf guard on gradients.
    private func clipAndCheck(_ parameters: [Parameter], step: Int, row: String) throws {
        let squares = parameters.reduce(0.0) { total, p in total + (p.grad.map(Self.sumOfSquares) ?? 0) }
        guard squares.isFinite else { throw TrainingError.nonFinite(step: step, row: row, what: "the gradient") }
        guard let maxNorm = configuration.maxGradNorm else { return }
        let norm = squares.squareRoot()
        guard norm > Double(maxNorm) else { return }
        // torch.nn.utils.clip_grad_norm_: scale by max_norm / (norm + 1e-6).
        let factor = Float(Double(maxNorm) / (norm + 1e-6))
        for p in parameters {
            guard let g = p.grad else { continue }
            let scaled = withNoGrad { g * factor }
            p.zeroGrad()
            p.value.backward(scaled)
        }
    }

    /// Writes a checkpoint (rank 0 only; every rank must call it, since a checkpoint in the middle
    /// of an accumulation window first sums the partial gradients over the ranks).
    private func save(name: String, nextStep: Int, optimizerSteps: Int, optimizer: AdamW, parameters: [Parameter],
                      fingerprint: [String: String], windowOpen: Bool) throws -> URL {
        var gradients: [String: Tensor] = [:]
        if group.size > 1 {
            if windowOpen { gradients = try summedGradients(parameters) }
        } else {
            for p in parameters { if let g = p.grad { gradients[p.name] = g } }
        }
        guard group.isLeader else { return configuration.outputPath.appendingPathComponent(name) }
        let state = TrainingCheckpoint.State(nextStep: nextStep, optimizerSteps: optimizerSteps, weightsFile: name,
                                             fingerprint: fingerprint, optimizer: optimizer.stateDict(), accumulatedGradients: gradients)
        var metadata = ["family": pipeline.descriptor.family, "task": objective.name]
        if case .lora(let targets, let rank, let alpha) = configuration.trainable {
            metadata["lora_rank"] = "\(rank)"
            metadata["lora_alpha"] = "\(alpha ?? Float(rank))"
            metadata["lora_target_modules"] = targets.joined(separator: ",")
        }
        let saved = TrainingCheckpoint.weights(of: try trainedModule(), configuration: configuration, loraFiles: pipeline.descriptor.loraFiles)
        return try TrainingCheckpoint.save(weights: saved.tensors, name: name, state: state,
                                           metadata: metadata.merging(saved.metadata) { a, _ in a }, configuration: configuration)
    }

    /// Puts saved trainable weights back (resume).
    private func restore(weights: [String: Tensor], file: String) throws {
        switch configuration.trainable {
        case .lora: try assignLoRA(LoRAWeights(stateDict: weights, file: file), file: file)
        case .full:
            let prefix = configuration.removePrefixInCheckpoint
            let named = Dictionary(weights.map { (prefix + $0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
            try trainedModule().load(from: InMemoryWeights(named), sourceName: file, strict: false)
        }
    }

    /// `--lora_checkpoint`: initial values for the injected adapters.
    private func loadLoRA(from url: URL) throws {
        let file = try SafetensorsFile(url: url)
        var tensors: [String: Tensor] = [:]
        for name in file.names { tensors[name] = try file.tensor(name) }
        try assignLoRA(LoRAWeights(stateDict: tensors, file: url.lastPathComponent, metadata: file.metadata), file: url.lastPathComponent)
    }

    private func assignLoRA(_ weights: LoRAWeights, file: String) throws {
        let adapters = Dictionary(try trainedModule().linearLayers().compactMap { layer in
            layer.adapters.first { $0.name == "default" }.map { (layer.path, $0) }
        }, uniquingKeysWith: { a, _ in a })
        for (path, pair) in weights.layers {
            guard let adapter = adapters[path] else {
                throw TrainingError.loraCheckpointMismatch(file: file, reason: "layer '\(path)' is not among the LoRA targets of this run")
            }
            guard pair.down.shape == adapter.down.shape, pair.up.shape == adapter.up.shape else {
                throw TrainingError.loraCheckpointMismatch(
                    file: file, reason: "layer '\(path)' has lora_A \(pair.down.shape), lora_B \(pair.up.shape); this run expects \(adapter.down.shape), \(adapter.up.shape)")
            }
            adapter.down.assign(pair.down)
            adapter.up.assign(pair.up)
        }
    }
}
