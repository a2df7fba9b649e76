import Foundation
import Testing
@testable import DiffSynth

// Fixtures come from Tools/reference/make_scheduler_fixtures.py (diffusers 0.42.1, torch 2.15).

// MARK: - Fixture formats

private struct FlowFixture: Decodable {
    struct Case: Decodable {
        let name: String
        let image_seq_len: Int?
        let mu_override: Float?
        let mu: Double
        let steps: Int
        let sigmas: [Float]
        let timesteps: [Float]
    }
    struct StrengthCase: Decodable {
        let strength: Float
        let mu_override: Float
        let steps: Int
        let sigmas: [Float]
        let timesteps: [Float]
    }
    struct Loop: Decodable {
        let image_seq_len: Int
        let steps: Int
        let final_sample: [Float]
    }
    let n1_sigmas_are_nan: Bool
    let cases: [Case]
    let strength_cases: [StrengthCase]
    let add_noise: AddNoise
    let loop_shape: [Int]
    let loop_init_seed: UInt64
    let loops: [Loop]
}

private struct AddNoise: Decodable {
    let steps: Int
    let step: Int
    let image_seq_len: Int?
    let clean: [Float]
    let noise: [Float]
    let result: [Float]
}

private struct TrainingFixture: Decodable {
    struct Checkpoint: Decodable {
        let index: Int
        let sigma: Float
        let timestep: Float
        let weight: Float
        let spec_sigma: Float?
        let spec_weight: Float?
    }
    struct Worked: Decodable {
        let steps: Int
        let image_seq_len: Int?
        let mu: Double
        let sigmas: [Float]
    }
    let argmax_weight: Int
    let max_weight: Float
    let sigmas: [Float]
    let weights: [Float]
    let checkpoints: [Checkpoint]
    let worked: [Worked]
}

private struct EulerFixture: Decodable {
    struct Case: Decodable {
        let steps: Int
        let timesteps: [Float]
        let sigmas: [Float]
        let init_noise_sigma: Float
    }
    struct Training: Decodable {
        let timestep: Int
        let clean: [Float]
        let noise: [Float]
        let model_input: [Float]
        let velocity: [Float]
    }
    struct Loop: Decodable {
        let steps: Int
        let noise_seed: UInt64?
        let final_sample: [Float]
    }
    let cases: [Case]
    let alphas_cumprod: [String: Float]
    let training: [Training]
    let add_noise: AddNoise
    let loop_shape: [Int]
    let loop_init_seed: UInt64
    let loops: [Loop]
}

// MARK: - Helpers

/// Worst of |a − b| / max(1, |b|): absolute below 1, relative above (sigmas reach 157).
private func worstError(_ actual: [Float], _ expected: [Float]) -> Float {
    guard actual.count == expected.count else { return .infinity }
    return zip(actual, expected).map { a, b in abs(a - b) / max(1, abs(b)) }.max() ?? 0
}

private func expectClose(
    _ actual: [Float], _ expected: [Float], tolerance: Float, _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.count == expected.count, "\(what): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
    let worst = worstError(actual, expected)
    #expect(worst <= tolerance, "\(what): worst error \(worst)", sourceLocation: sourceLocation)
}

/// diffusers' scheduler-test dummy model: `0.1·x + 0.05·t/1000`.
private func dummyModel(_ input: Tensor, _ timestep: Float) -> Tensor {
    input * 0.1 + 0.05 * timestep / 1000
}

/// The dummy sampling loop of the fixtures; step noise (ancestral) from `torch.manual_seed(noiseSeed)`.
private func sample(with scheduler: some Scheduler, schedule: Schedule, shape: [Int], initSeed: UInt64, noiseSeed: UInt64 = 0) -> Tensor {
    var initial = TorchGenerator(seed: initSeed)
    var stepNoise = TorchGenerator(seed: noiseSeed)
    var x = Tensor.randn(shape, generator: &initial) * schedule.initialNoiseScale
    for (i, t) in schedule.timesteps.enumerated() {
        let input = scheduler.scaleModelInput(x, step: i, in: schedule)
        let noise = scheduler.needsStepNoise ? Tensor.randn(shape, generator: &stepNoise) : nil
        x = scheduler.step(prediction: dummyModel(input, t), sample: x, step: i, in: schedule, noise: noise)
    }
    return x
}

private func temporaryConfig(_ json: String, name: String = "scheduler_config.json") throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("scheduler-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let url = folder.appendingPathComponent(name)
    try Data(json.utf8).write(to: url)
    return url
}

private func loadError(_ json: String) throws -> (url: URL, error: SchedulerConfigurationError?) {
    let url = try temporaryConfig(json)
    defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
    do {
        _ = try SchedulerConfiguration.load(contentsOf: url)
        return (url, nil)
    } catch let error as SchedulerConfigurationError {
        return (url, error)
    }
}

// MARK: - Flow matching

@Suite("Flow-match Euler scheduler")
struct FlowMatchEulerSchedulerTests {
    private let fixture: FlowFixture
    private let training: TrainingFixture
    private let scheduler = FlowMatchEulerScheduler.qwenImage

    init() throws {
        fixture = try Fixtures.decode(FlowFixture.self, "schedulers/flow_match_qwen_image.json")
        training = try Fixtures.decode(TrainingFixture.self, "schedulers/diffsynth_training.json")
    }

    @Test("sigmas and timesteps match the diffusers Qwen-Image pipeline at every resolution and step count")
    func tablesMatchDiffusers() {
        #expect(fixture.cases.count == 16)
        for c in fixture.cases {
            let context = ScheduleContext(imageSequenceLength: c.image_seq_len, shiftOverride: c.mu_override)
            #expect(abs(scheduler.mu(for: context) - c.mu) < 1e-12, "\(c.name) mu")
            let schedule = scheduler.schedule(steps: c.steps, context: context)
            expectClose(schedule.sigmas, c.sigmas, tolerance: 1e-6, "\(c.name) N=\(c.steps) sigmas")
            expectClose(schedule.timesteps, c.timesteps, tolerance: 1e-6, "\(c.name) N=\(c.steps) timesteps")
            #expect(schedule.initialNoiseScale == 1)
        }
    }

    @Test("a one-step schedule starts at sigma 1 where diffusers' terminal stretch divides 0 by 0")
    func oneStepIsDefined() {
        #expect(fixture.n1_sigmas_are_nan)
        let schedule = scheduler.schedule(steps: 1, context: ScheduleContext(imageSequenceLength: 4096))
        #expect(schedule.sigmas == [1, 0])
        #expect(schedule.timesteps == [1000])
    }

    @Test("img2img strength follows DiffSynth's linspace(strength, 0, N + 1)")
    func strengthMatchesDiffSynth() {
        for c in fixture.strength_cases {
            let schedule = scheduler.schedule(steps: c.steps, context: ScheduleContext(strength: c.strength, shiftOverride: c.mu_override))
            expectClose(schedule.sigmas, c.sigmas, tolerance: 1e-6, "strength \(c.strength) N=\(c.steps) sigmas")
            expectClose(schedule.timesteps, c.timesteps, tolerance: 1e-6, "strength \(c.strength) N=\(c.steps) timesteps")
        }
    }

    @Test("addNoise mixes clean and noise as diffusers' scale_noise")
    func addNoiseMatchesDiffusers() {
        let a = fixture.add_noise
        let schedule = scheduler.schedule(steps: a.steps, context: ScheduleContext(imageSequenceLength: a.image_seq_len))
        let result = scheduler.addNoise(to: Tensor(shape: [2, 3], scalars: a.clean), noise: Tensor(shape: [2, 3], scalars: a.noise),
                                        step: a.step, in: schedule)
        expectClose(result.scalars, a.result, tolerance: 1e-6, "scale_noise")
    }

    @Test("a dummy sampling loop ends where diffusers' does")
    func loopMatchesDiffusers() {
        for loop in fixture.loops {
            let schedule = scheduler.schedule(steps: loop.steps, context: ScheduleContext(imageSequenceLength: loop.image_seq_len))
            let result = sample(with: scheduler, schedule: schedule, shape: fixture.loop_shape, initSeed: fixture.loop_init_seed)
            expectClose(result.scalars, loop.final_sample, tolerance: 1e-5, "loop at \(loop.image_seq_len) tokens")
        }
    }

    @Test("the training table is DiffSynth's 1000-step mu 0.8 table with its bell-shaped weights")
    func trainingTableMatchesDiffSynth() {
        #expect(scheduler.trainingTimestepCount == 1000)
        expectClose(scheduler.trainingSigmas, training.sigmas, tolerance: 1e-6, "training sigmas")
        expectClose(scheduler.trainingWeights, training.weights, tolerance: 1e-6, "training weights")
        let schedule = scheduler.schedule(steps: 1000, context: ScheduleContext(shiftOverride: 0.8))
        #expect(Array(schedule.sigmas.dropLast()) == scheduler.trainingSigmas)
        #expect(schedule.timesteps == scheduler.trainingTimesteps)
        let argmax = scheduler.trainingWeights.indices.max { scheduler.trainingWeights[$0] < scheduler.trainingWeights[$1] }
        #expect(argmax == training.argmax_weight)
        let mean = scheduler.trainingWeights.reduce(0, +) / 1000
        #expect(abs(mean - 1) < 1e-5)
    }

    @Test("training checkpoints agree with DiffSynth and with the values printed in the spec")
    func trainingCheckpoints() {
        for point in training.checkpoints {
            let i = point.index
            #expect(abs(scheduler.trainingSigmas[i] - point.sigma) <= 1e-6, "sigma[\(i)]")
            #expect(abs(scheduler.trainingTimesteps[i] - point.timestep) <= 1e-3, "timestep[\(i)]")
            #expect(abs(scheduler.trainingWeights[i] - point.weight) <= 1e-6, "weight[\(i)]")
            if let sigma = point.spec_sigma { #expect(abs(scheduler.trainingSigmas[i] - sigma) <= 5e-5, "spec sigma[\(i)]") }
            if let weight = point.spec_weight { #expect(abs(scheduler.trainingWeights[i] - weight) <= 5e-5, "spec weight[\(i)]") }
        }
    }

    @Test("DiffSynth's worked N = 4, 8, 15 and 50 tables come out of the sampling schedule")
    func workedTables() {
        for worked in training.worked {
            let context = worked.image_seq_len.map { ScheduleContext(imageSequenceLength: $0) } ?? ScheduleContext(shiftOverride: 0.8)
            #expect(abs(scheduler.mu(for: context) - worked.mu) < 1e-12)
            let schedule = scheduler.schedule(steps: worked.steps, context: context)
            expectClose(Array(schedule.sigmas.dropLast()), worked.sigmas, tolerance: 1e-6, "worked N=\(worked.steps) mu \(worked.mu)")
        }
        // Without an image size the schedule falls back to the training mu, as DiffSynth does.
        #expect(scheduler.schedule(steps: 4, context: ScheduleContext()) == scheduler.schedule(steps: 4, context: ScheduleContext(shiftOverride: 0.8)))
    }

    @Test("a training example noises to the indexed sigma and targets the velocity noise − clean")
    func trainingExample() {
        let clean = Tensor(shape: [2, 2], scalars: [0.5, -1, 2, 0])
        let noise = Tensor(shape: [2, 2], scalars: [1, 0.25, -0.5, 3])
        let i = 500
        let sigma = scheduler.trainingSigmas[i]
        let example = scheduler.trainingExample(clean: clean, noise: noise, index: i)
        let expected = zip(clean.scalars, noise.scalars).map { x, e in (1 - sigma) * x + sigma * e }
        expectClose(example.modelInput.scalars, expected, tolerance: 1e-6, "model input")
        #expect(example.target.scalars == zip(clean.scalars, noise.scalars).map { x, e in e - x })
        #expect(example.timestep == scheduler.trainingTimesteps[i])
        #expect(example.weight == scheduler.trainingWeights[i])
        #expect(scheduler.trainingExample(clean: clean, noise: noise, index: 0).modelInput.scalars == noise.scalars)
    }

    @Test("static shift, linear time shift and no terminal stretch follow diffusers' formulas")
    func otherShiftModes() throws {
        let fixed = try FlowMatchEulerScheduler(config: FlowMatchEulerConfiguration(shift: 3))
        let s = fixed.schedule(steps: 4, context: ScheduleContext(imageSequenceLength: 9999))
        let base: [Float] = [1, 0.75, 0.5, 0.25]
        #expect(s.sigmas == base.map { 3 * $0 / (1 + 2 * $0) } + [0])
        let linear = try FlowMatchEulerScheduler(config: FlowMatchEulerConfiguration(useDynamicShifting: true, timeShiftType: .linear))
        let l = linear.schedule(steps: 4, context: ScheduleContext(shiftOverride: 2))
        #expect(l.sigmas == base.map { 2 / (2 + (1 / $0 - 1)) } + [0])
    }
}

// MARK: - Euler

@Suite("Euler discrete and ancestral schedulers")
struct EulerSchedulerTests {
    private func check(_ scheduler: some Scheduler, table: DiscreteNoiseTable, fixture name: String) throws {
        let fixture = try Fixtures.decode(EulerFixture.self, "schedulers/\(name).json")
        #expect(fixture.cases.map(\.steps) == [1, 2, 4, 8, 50])
        for c in fixture.cases {
            let schedule = scheduler.schedule(steps: c.steps, context: ScheduleContext())
            expectClose(schedule.timesteps, c.timesteps, tolerance: 1e-6, "\(name) N=\(c.steps) timesteps")
            expectClose(schedule.sigmas, c.sigmas, tolerance: 1e-6, "\(name) N=\(c.steps) sigmas")
            expectClose([schedule.initialNoiseScale], [c.init_noise_sigma], tolerance: 1e-6, "\(name) N=\(c.steps) init_noise_sigma")
        }
        for (index, value) in fixture.alphas_cumprod {
            #expect(table.alphasCumprod[Int(index)!] == value, "\(name) alphas_cumprod[\(index)]")
        }
        for t in fixture.training {
            let clean = Tensor(shape: [2, 3], scalars: t.clean)
            let noise = Tensor(shape: [2, 3], scalars: t.noise)
            let example = scheduler.trainingExample(clean: clean, noise: noise, index: t.timestep)
            #expect(example.timestep == Float(t.timestep))
            #expect(example.weight == 1)
            expectClose(example.modelInput.scalars, t.model_input, tolerance: 1e-6, "\(name) DDPM input t=\(t.timestep)")
            let target = scheduler.predictionType == .vPrediction ? t.velocity : t.noise
            expectClose(example.target.scalars, target, tolerance: 1e-6, "\(name) target t=\(t.timestep)")
        }
        let a = fixture.add_noise
        let schedule = scheduler.schedule(steps: a.steps, context: ScheduleContext())
        let noised = scheduler.addNoise(to: Tensor(shape: [2, 3], scalars: a.clean), noise: Tensor(shape: [2, 3], scalars: a.noise),
                                        step: a.step, in: schedule)
        expectClose(noised.scalars, a.result, tolerance: 1e-6, "\(name) add_noise")
        for loop in fixture.loops {
            let schedule = scheduler.schedule(steps: loop.steps, context: ScheduleContext())
            let result = sample(with: scheduler, schedule: schedule, shape: fixture.loop_shape, initSeed: fixture.loop_init_seed,
                                noiseSeed: loop.noise_seed ?? 0)
            expectClose(result.scalars, loop.final_sample, tolerance: 1e-5, "\(name) loop N=\(loop.steps)")
        }
    }

    @Test("SDXL base (scaled-linear betas, leading spacing, offset 1) matches diffusers")
    func sdxlBase() throws {
        let scheduler = EulerDiscreteScheduler.sdxlBase
        try check(scheduler, table: scheduler.noiseTable, fixture: "euler_sdxl_base")
    }

    @Test("linspace spacing with fractional timesteps matches diffusers")
    func linspace() throws {
        let scheduler = try EulerDiscreteScheduler(config: EulerDiscreteConfiguration(
            betaStart: 0.00085, betaEnd: 0.012, betaSchedule: .scaledLinear, timestepSpacing: .linspace))
        try check(scheduler, table: scheduler.noiseTable, fixture: "euler_linspace")
    }

    @Test("v-prediction with linear betas and trailing spacing matches diffusers")
    func vPrediction() throws {
        let scheduler = try EulerDiscreteScheduler(config: EulerDiscreteConfiguration(predictionType: .vPrediction, timestepSpacing: .trailing))
        try check(scheduler, table: scheduler.noiseTable, fixture: "euler_v_prediction")
    }

    @Test("SDXL-Turbo's ancestral sampler matches diffusers, step noise included")
    func sdxlTurbo() throws {
        let scheduler = EulerAncestralScheduler.sdxlTurbo
        #expect(scheduler.needsStepNoise)
        try check(scheduler, table: scheduler.noiseTable, fixture: "euler_ancestral_sdxl_turbo")
    }

    @Test("ancestral sampling is reproducible from the seed and depends on it")
    func ancestralReproducible() {
        let scheduler = EulerAncestralScheduler.sdxlTurbo
        let schedule = scheduler.schedule(steps: 4, context: ScheduleContext())
        let first = sample(with: scheduler, schedule: schedule, shape: [1, 4, 8, 8], initSeed: 42, noiseSeed: 0)
        let second = sample(with: scheduler, schedule: schedule, shape: [1, 4, 8, 8], initSeed: 42, noiseSeed: 0)
        let other = sample(with: scheduler, schedule: schedule, shape: [1, 4, 8, 8], initSeed: 42, noiseSeed: 1)
        #expect(first.scalars == second.scalars)
        #expect(first.scalars != other.scalars)
    }

    @Test("trailing spacing keeps N steps where numpy's arange yields N + 1")
    func trailingKeepsStepCount() {
        let schedule = EulerAncestralScheduler.sdxlTurbo.schedule(steps: 61, context: ScheduleContext())
        #expect(schedule.steps == 61)
        #expect(schedule.timesteps.first == 999)
        #expect(schedule.timesteps.allSatisfy { $0 >= 0 })
    }

    @Test("img2img strength drops the first steps as diffusers' get_timesteps does")
    func strengthTrimsSchedule() {
        let scheduler = EulerDiscreteScheduler.sdxlBase
        let full = scheduler.schedule(steps: 10, context: ScheduleContext())
        // int(10 · 0.7) = 7 in float64; widening the float32 0.7 would give 6.
        let partial = scheduler.schedule(steps: 10, context: ScheduleContext(strength: 0.7))
        #expect(partial.timesteps == Array(full.timesteps.suffix(7)))
        #expect(partial.sigmas == Array(full.sigmas.suffix(8)))
        #expect(partial.initialNoiseScale == full.initialNoiseScale)
    }

    @Test("final_sigmas_type sigma_min ends at the smallest training sigma")
    func finalSigmaMin() throws {
        var config = EulerDiscreteConfiguration.sdxlBase
        config.finalSigmasType = .sigmaMin
        let scheduler = try EulerDiscreteScheduler(config: config)
        let schedule = scheduler.schedule(steps: 4, context: ScheduleContext())
        #expect(schedule.sigmas.last == scheduler.noiseTable.sigmas[0])
        #expect(abs(schedule.sigmas.last! - 0.029167533) < 1e-7)
    }
}

// MARK: - Gradients

@Suite("Scheduler gradients")
struct SchedulerGradientTests {
    private let shape = [2, 3]

    private func inputs(_ seed: UInt64) -> [Tensor] {
        var generator = TorchGenerator(seed: seed)
        return [Tensor.randn(shape, generator: &generator), Tensor.randn(shape, generator: &generator)]
    }

    @Test("step is differentiable in the prediction and the sample for every scheduler")
    func stepGradients() throws {
        let vPrediction = try EulerDiscreteScheduler(config: EulerDiscreteConfiguration(predictionType: .vPrediction))
        let schedulers: [any Scheduler] = [
            FlowMatchEulerScheduler.qwenImage, EulerDiscreteScheduler.sdxlBase, vPrediction, EulerAncestralScheduler.sdxlTurbo,
        ]
        var generator = TorchGenerator(seed: 3)
        let noise = Tensor.randn(shape, generator: &generator)
        for scheduler in schedulers {
            let schedule = scheduler.schedule(steps: 4, context: ScheduleContext(imageSequenceLength: 1024))
            for step in [0, 3] {
                let error = GradientCheck.maximumError(inputs(UInt64(step))) { x in
                    scheduler.step(prediction: x[0], sample: x[1], step: step, in: schedule, noise: scheduler.needsStepNoise ? noise : nil)
                }
                #expect(error < 5e-3, "\(type(of: scheduler)) step \(step): gradient error \(error)")
            }
        }
    }

    @Test("the gradient of a flow step is (σ_next − σ) for the prediction and 1 for the sample")
    func flowStepGradientValues() {
        let scheduler = FlowMatchEulerScheduler.qwenImage
        let schedule = scheduler.schedule(steps: 4, context: ScheduleContext(imageSequenceLength: 4096))
        let prediction = Tensor(shape: shape, scalars: [1, 2, 3, 4, 5, 6]).requiringGrad()
        let sample = Tensor(shape: shape, scalars: [0, 0, 1, 1, 2, 2]).requiringGrad()
        scheduler.step(prediction: prediction, sample: sample, step: 1, in: schedule, noise: nil).sum().backward()
        let dt = schedule.sigmas[2] - schedule.sigmas[1]
        #expect(prediction.grad?.scalars == Array(repeating: dt, count: 6))
        #expect(sample.grad?.scalars == Array(repeating: 1, count: 6))
    }

    @Test("addNoise and training examples are differentiable in the clean sample")
    func noisingGradients() {
        let flow = FlowMatchEulerScheduler.qwenImage
        let schedule = flow.schedule(steps: 4, context: ScheduleContext(imageSequenceLength: 1024))
        let euler = EulerDiscreteScheduler.sdxlBase
        let eulerSchedule = euler.schedule(steps: 4, context: ScheduleContext())
        let checks: [(String, ([Tensor]) -> Tensor)] = [
            ("flow addNoise", { flow.addNoise(to: $0[0], noise: $0[1], step: 2, in: schedule) }),
            ("euler addNoise", { euler.addNoise(to: $0[0], noise: $0[1], step: 2, in: eulerSchedule) }),
            ("flow training", { flow.trainingExample(clean: $0[0], noise: $0[1], index: 300).modelInput }),
            ("euler training", { euler.trainingExample(clean: $0[0], noise: $0[1], index: 300).modelInput }),
        ]
        for (name, f) in checks {
            let error = GradientCheck.maximumError(inputs(9), f)
            #expect(error < 5e-3, "\(name): gradient error \(error)")
        }
    }
}

// MARK: - Configuration files

@Suite("Scheduler configuration files")
struct SchedulerConfigurationTests {
    @Test("the shipped SDXL base, SDXL-Turbo and Qwen-Image configs load as their presets")
    func shippedConfigs() throws {
        let base = try SchedulerConfiguration.load(contentsOf: Fixtures.url("schedulers/configs/sdxl_base_scheduler_config.json"))
        #expect((base as? EulerDiscreteScheduler)?.configuration == EulerDiscreteConfiguration.sdxlBase)
        let turbo = try SchedulerConfiguration.load(contentsOf: Fixtures.url("schedulers/configs/sdxl_turbo_scheduler_config.json"))
        #expect((turbo as? EulerAncestralScheduler)?.configuration == EulerDiscreteConfiguration.sdxlTurbo)
        let qwen = try SchedulerConfiguration.load(contentsOf: Fixtures.url("schedulers/configs/qwen_image_scheduler_config.json"))
        let flow = try #require(qwen as? FlowMatchEulerScheduler)
        #expect(flow.configuration == FlowMatchEulerConfiguration.qwenImage)
        #expect(flow.trainingWeights == FlowMatchEulerScheduler.qwenImage.trainingWeights)
        #expect(flow.predictionType == .flowVelocity)
        #expect(base.predictionType == .epsilon)
    }

    @Test("missing and null keys take diffusers' defaults, and configurations round-trip")
    func defaultsAndRoundTrip() throws {
        let flow = try JSONDecoder().decode(FlowMatchEulerConfiguration.self, from: Data(#"{"shift_terminal": null, "shift": null}"#.utf8))
        #expect(flow == FlowMatchEulerConfiguration())
        #expect(flow.maxShift == 1.15 && flow.maxImageSequenceLength == 4096 && flow.shiftTerminal == nil)
        let euler = try JSONDecoder().decode(EulerDiscreteConfiguration.self, from: Data("{}".utf8))
        #expect(euler == EulerDiscreteConfiguration())
        #expect(euler.betaSchedule == .linear && euler.timestepSpacing == .linspace && euler.stepsOffset == 0)
        for config in [FlowMatchEulerConfiguration.qwenImage] {
            #expect(try JSONDecoder().decode(FlowMatchEulerConfiguration.self, from: JSONEncoder().encode(config)) == config)
        }
        for config in [EulerDiscreteConfiguration.sdxlBase, .sdxlTurbo] {
            #expect(try JSONDecoder().decode(EulerDiscreteConfiguration.self, from: JSONEncoder().encode(config)) == config)
        }
        let original = try JSONDecoder().decode(EulerDiscreteConfiguration.self, from: Data(#"{"prediction_type": "original_sample"}"#.utf8))
        #expect(original.predictionType == .sample)
    }

    @Test("an unsupported scheduler class is reported with the file and the class")
    func unsupportedClass() throws {
        let (url, error) = try loadError(#"{"_class_name": "DDIMScheduler", "num_train_timesteps": 1000}"#)
        let e = try #require(error)
        #expect(e.file == url.path)
        #expect(e.key == "_class_name")
        #expect(e.description.contains("DDIMScheduler"))
        #expect(e.description.contains(url.path))
    }

    @Test("bad values name the file and the key")
    func badValues() throws {
        let cases: [(json: String, key: String, mentions: String)] = [
            (#"{"_class_name": "EulerDiscreteScheduler", "timestep_spacing": "karras"}"#, "timestep_spacing", "karras"),
            (#"{"_class_name": "EulerDiscreteScheduler", "num_train_timesteps": "many"}"#, "num_train_timesteps", "integer"),
            (#"{"_class_name": "EulerDiscreteScheduler", "use_karras_sigmas": true}"#, "use_karras_sigmas", "not supported"),
            (#"{"_class_name": "EulerDiscreteScheduler", "beta_schedule": "squaredcos_cap_v2"}"#, "beta_schedule", "not supported"),
            (#"{"_class_name": "EulerDiscreteScheduler", "prediction_type": "sample"}"#, "prediction_type", "not supported"),
            (#"{"_class_name": "EulerAncestralDiscreteScheduler", "rescale_betas_zero_snr": true}"#, "rescale_betas_zero_snr", "not supported"),
            (#"{"_class_name": "FlowMatchEulerDiscreteScheduler", "time_shift_type": "cubic"}"#, "time_shift_type", "cubic"),
            (#"{"_class_name": "FlowMatchEulerDiscreteScheduler", "invert_sigmas": true}"#, "invert_sigmas", "not supported"),
            (#"{"_class_name": "FlowMatchEulerDiscreteScheduler", "shift_terminal": 1.5}"#, "shift_terminal", "[0, 1)"),
            (#"{"num_train_timesteps": 1000}"#, "_class_name", "missing"),
        ]
        for c in cases {
            let (url, error) = try loadError(c.json)
            let e = try #require(error, "expected an error for \(c.json)")
            #expect(e.file == url.path)
            #expect(e.key == c.key, "\(e)")
            #expect(e.description.contains(c.key) && e.description.contains(c.mentions), "\(e)")
        }
    }

    @Test("the ancestral scheduler ignores the keys its diffusers class does not have")
    func ancestralIgnoresDiscreteOnlyKeys() throws {
        let (_, error) = try loadError(#"{"_class_name": "EulerAncestralDiscreteScheduler", "interpolation_type": "log_linear", "use_karras_sigmas": true}"#)
        #expect(error == nil)
    }

    @Test("unreadable files and non-JSON contents name the file")
    func unreadable() throws {
        let (url, error) = try loadError("not json")
        let e = try #require(error)
        #expect(e.file == url.path && e.key == nil)
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-\(UUID().uuidString).json")
        #expect {
            try SchedulerConfiguration.load(contentsOf: missing)
        } throws: { error in
            (error as? SchedulerConfigurationError)?.file == missing.path
        }
    }
}
