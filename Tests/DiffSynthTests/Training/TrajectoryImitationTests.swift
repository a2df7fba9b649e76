import Foundation
import Testing
@testable import DiffSynth

/// `v = A ⊙ x + B · t / 1000` on Qwen-Image's flow-matching schedule: the mock denoiser of
/// Tools/reference/make_trajectory_fixture.py, which ran DiffSynth-Studio's own
/// `TrajectoryImitationLoss.align_trajectory` on it.
final class AffineDenoiser: Module {
    let a: Parameter, b: Parameter
    init(a: Tensor, b: Tensor) {
        self.a = Parameter(name: "a", value: a)
        self.b = Parameter(name: "b", value: b)
    }
}

final class AffinePipeline: DiffusionPipeline {
    let descriptor: PipelineDescriptor
    let scheduler: any Scheduler = FlowMatchEulerScheduler.qwenImage
    let model: AffineDenoiser
    var denoiser: any Module { model }
    var gradientCheckpointing = false

    init(shape: [Int], a: [Float], b: [Float], family: String = "affine") {
        descriptor = PipelineDescriptor(
            family: family, latentChannels: shape[1], vaeScaleFactor: 1, resolutionMultiple: 1,
            defaultResolution: (shape[2], shape[3]), predictionType: .flowVelocity,
            teacher: SamplingSettings(steps: 12, guidanceScale: 1), student: SamplingSettings(steps: 4, guidanceScale: 1),
            defaultLoRATargets: ["a"], noisePrecision: .float32)
        model = AffineDenoiser(a: Tensor(shape: shape, scalars: a), b: Tensor(shape: shape, scalars: b))
    }

    func encode(prompt: String) throws -> Conditioning { Conditioning([:]) }
    func predict(latents: Tensor, timestep: Float, conditioning: Conditioning) -> Tensor {
        latents * model.a.value + model.b.value * (timestep / 1000)
    }
    func encode(image: Tensor) throws -> Tensor { image }
    func decode(latents: Tensor) throws -> Tensor { latents }
}

@Suite("Trajectory imitation")
struct TrajectoryImitationTests {
    struct Fixture: Decodable {
        let shape: [Int], seed: UInt64, student_steps: Int, teacher_steps: Int
        let A: [Float], B: [Float], teacher_A: [Float], teacher_B: [Float]
        let student_sigmas: [Float], student_timesteps: [Float], weights: [Float]
        let teacher_sigmas: [Float], teacher_timesteps: [Float]
        let terms: [Float], loss: Float
    }

    static func setting(_ f: Fixture, family: String = "affine") throws -> (TrajectoryImitationLoss, AffinePipeline, TrainingSample) {
        let teacher = AffinePipeline(shape: f.shape, a: f.teacher_A, b: f.teacher_B)
        let student = AffinePipeline(shape: f.shape, a: f.A, b: f.B, family: family)
        let objective = TrajectoryImitationLoss(teacher: teacher, teacherSettings: SamplingSettings(steps: f.teacher_steps, guidanceScale: 1),
                                                height: f.shape[2], width: f.shape[3])
        let row = MetadataRow(file: "metadata.csv", line: 2, fields: ["prompt": "p", "seed": "\(f.seed)", "num_inference_steps": "\(f.student_steps)"])
        let sample = try TrainingSample(row: row, basePath: URL(fileURLWithPath: "/"), dataFileKeys: [], extraInputs: ["seed", "num_inference_steps"])
        return (objective, student, sample)
    }

    @Test("schedules, weights, per-step terms and the loss equal DiffSynth-Studio's align_trajectory")
    func matchesReference() throws {
        let f = try Fixtures.decode(Fixture.self, "training/trajectory_imitation.json")
        let (objective, student, sample) = try Self.setting(f)
        let studentSchedule = objective.studentSchedule(steps: f.student_steps, pipeline: student)
        expectClose(Array(studentSchedule.sigmas.dropLast()), f.student_sigmas, tolerance: 1e-6, "student sigmas")
        expectClose(studentSchedule.timesteps, f.student_timesteps, tolerance: 1e-4, "student timesteps")
        expectClose(student.scheduler.stepWeights(for: studentSchedule), f.weights, tolerance: 1e-5, "per-step weights")
        let (teacherSchedule, indices) = try #require(objective.snappedTeacherSchedule(studentSteps: f.student_steps, pipeline: student))
        expectClose(Array(teacherSchedule.sigmas.dropLast()), f.teacher_sigmas, tolerance: 1e-6, "snapped teacher sigmas")
        expectClose(teacherSchedule.timesteps, f.teacher_timesteps, tolerance: 1e-4, "snapped teacher timesteps")
        #expect(indices.count == f.student_steps + 1 && indices.last == f.teacher_steps)
        for (k, j) in indices.dropLast().enumerated() { #expect(teacherSchedule.sigmas[j] == studentSchedule.sigmas[k]) }

        let points = try objective.teacherLatents(for: sample, studentSteps: f.student_steps, pipeline: student)
        var generator = TorchGenerator(seed: 0)
        let terms = try TrajectoryImitationLoss.alignment(pipeline: student, teacherLatents: points, schedule: studentSchedule,
                                                          prompts: PromptPair(positive: Conditioning([:]), negative: nil),
                                                          guidanceScale: 1, generator: &generator).map { $0.item() }
        expectClose(terms, f.terms, tolerance: 1e-5, "per-step terms")
        let loss = try objective.loss(for: sample, step: 0, pipeline: student, cache: TrainingCache { _ in fatalError("no images") }).item()
        #expect(abs(loss - f.loss) <= 1e-5 * abs(f.loss), "loss \(loss) vs DiffSynth \(f.loss)")
    }

    @Test("each step's target is the teacher's own step between the same two levels")
    func targetIsTeachersStep() throws {
        let f = try Fixtures.decode(Fixture.self, "training/trajectory_imitation.json")
        // A student identical to the teacher, sampled by the teacher's own (unsnapped) steps, is
        // off only by the teacher's extra sub-steps; one whose steps coincide with the teacher's is exact.
        let (objective, _, sample) = try Self.setting(f)
        let twin = AffinePipeline(shape: f.shape, a: f.teacher_A, b: f.teacher_B)
        let coincide = TrajectoryImitationLoss(teacher: twin, teacherSettings: SamplingSettings(steps: f.student_steps, guidanceScale: 1),
                                               height: f.shape[2], width: f.shape[3])
        let cache = TrainingCache { _ in fatalError("no images") }
        #expect(try coincide.loss(for: sample, step: 0, pipeline: twin, cache: cache).item() < 1e-10)
        #expect(try objective.loss(for: sample, step: 0, pipeline: twin, cache: cache).item() > 1e-6)
    }

    @Test("too few teacher steps and another latent space are refused by name")
    func refusals() throws {
        let f = try Fixtures.decode(Fixture.self, "training/trajectory_imitation.json")
        let (_, student, sample) = try Self.setting(f)
        let short = TrajectoryImitationLoss(teacher: AffinePipeline(shape: f.shape, a: f.teacher_A, b: f.teacher_B),
                                            teacherSettings: SamplingSettings(steps: 3, guidanceScale: 1), height: f.shape[2], width: f.shape[3])
        #expect { try short.validate(sample, pipeline: student) } throws: { "\($0)".contains("metadata.csv line 2") && "\($0)".contains("--teacher_steps") }
        let (objective, other, _) = try Self.setting(f, family: "other")
        #expect { try objective.validate(sample, pipeline: other) } throws: { "\($0)".contains("other") && "\($0)".contains("latent space") }
    }

    @Test("training on it lowers the loss of a toy student")
    func trains() throws {
        var r = TestRandom(9)
        let data = try ToyDataset(rows: [("a red square", 3, r.tensor([1, 3, 4, 4])), ("a blue ring", 4, r.tensor([1, 3, 4, 4]))], steps: 2)
        let objective = TrajectoryImitationLoss(teacher: ToyPipeline(seed: 1), teacherSettings: SamplingSettings(steps: 10, guidanceScale: 3),
                                                height: 4, width: 4)
        let student = ToyPipeline(seed: 2)
        var configuration = TrainerConfiguration(trainable: .full, outputPath: data.directory.appendingPathComponent("out"))
        configuration.learningRate = 3e-3
        configuration.epochs = 30
        configuration.csvLog = false
        configuration.saveSteps = 10_000
        let losses = try Trainer(pipeline: student, objective: objective, samples: data.samples, configuration: configuration, cache: data.cache).run()
        let (first, last) = (losses.prefix(2).reduce(0, +), losses.suffix(2).reduce(0, +))
        #expect(last < 0.5 * first, "\(losses.prefix(2)) → \(losses.suffix(2))")
    }
}

/// Worst of |a − b| / max(1, |b|) within `tolerance` (absolute below 1, relative above).
private func expectClose(_ actual: [Float], _ expected: [Float], tolerance: Float, _ what: String,
                         sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, "\(what): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
    let worst = zip(actual, expected).map { a, b in abs(a - b) / max(1, abs(b)) }.max() ?? 0
    #expect(worst <= tolerance, "\(what): worst error \(worst) in \(actual) vs \(expected)", sourceLocation: sourceLocation)
}
