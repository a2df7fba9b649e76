import Foundation

/// Direct Distillation with the teacher in the loop — the seed's pseudocode: for each sample the
/// teacher pipeline (of any family) samples the image at teacher steps and guidance from the
/// sample's seed, without gradients, and the student is trained on it as in ``DirectDistillLoss``.
///
/// Teacher images are cached as PNG files under `cacheDirectory`, with the teacher's final
/// latents beside them (``TeacherLatentsFile``), keyed by everything that determines them
/// (teacher family, prompt, negative prompt, seed, steps, guidance, size), so epochs after the
/// first — and restarted runs — cost no teacher time. The student regresses onto the latents when
/// the teacher is of its own family (under the student's ``DirectDistillLoss/target``), onto the
/// image otherwise. The cache is exactly an offline distillation dataset's files, so switching to
/// offline training loses nothing.
public struct OnlineDirectDistillLoss: TrainingObjective {
    public let teacher: any DiffusionPipeline
    public let teacherSettings: SamplingSettings
    public let height: Int
    public let width: Int
    public let cacheDirectory: URL
    public var student: DirectDistillLoss

    public init(teacher: any DiffusionPipeline, teacherSettings: SamplingSettings, height: Int, width: Int,
                cacheDirectory: URL, student: DirectDistillLoss = DirectDistillLoss()) {
        self.teacher = teacher
        self.teacherSettings = teacherSettings
        self.height = height
        self.width = width
        self.cacheDirectory = cacheDirectory
        self.student = student
    }

    public var name: String { "direct_distill_online" }

    public func validate(_ sample: TrainingSample, pipeline: any DiffusionPipeline) throws {
        try DirectDistillLoss.requireSeedAndSteps(sample)
        try teacher.validate(height: height, width: width)
        try pipeline.validate(height: height, width: width)
    }

    /// The cached teacher image and latents for a sample, generated on first use. The latents
    /// are written first, so a cached image always has its latents.
    public func teacherFiles(for sample: TrainingSample) throws -> (image: URL, latents: URL) {
        let key = [teacher.descriptor.family, sample.prompt, sample.negativePrompt ?? "\u{0}", String(sample.seed ?? 0),
                   String(teacherSettings.steps), String(teacherSettings.guidanceScale), "\(height)x\(width)"].joined(separator: "\u{1F}")
        let name = String(format: "%016llx", FNV1a.hash(key))
        let image = cacheDirectory.appendingPathComponent(name + ".png")
        let latentsFile = cacheDirectory.appendingPathComponent(name + ".safetensors")
        if FileManager.default.fileExists(atPath: image.path) && FileManager.default.fileExists(atPath: latentsFile.path) {
            return (image, latentsFile)
        }
        try FileManager.default.createDirectory(at: cacheDirectory, withIntermediateDirectories: true)
        let (latents, decoded) = try withNoGrad {
            let latents = try Sampler.generate(pipeline: teacher, prompt: sample.prompt, negativePrompt: sample.negativePrompt,
                                               height: height, width: width, seed: sample.seed ?? 0,
                                               steps: teacherSettings.steps, guidanceScale: teacherSettings.guidanceScale)
            return (latents, try teacher.decodeImage(latents: latents))
        }
        try TeacherLatentsFile.write(latents, family: teacher.descriptor.family, to: latentsFile)
        try RGBImage(tensor: decoded).write(to: image, format: .png)
        return (image, latentsFile)
    }

    public func loss(for sample: TrainingSample, step: Int, pipeline: any DiffusionPipeline, cache: TrainingCache) throws -> Tensor {
        try validate(sample, pipeline: pipeline)
        let files = try teacherFiles(for: sample)
        return try student.loss(for: sample.replacingFile("image", with: files.image).replacingFile("latents", with: files.latents),
                                step: step, pipeline: pipeline, cache: cache)
    }
}

/// 64-bit FNV-1a: a stable content hash for cache file names (not for security).
enum FNV1a {
    static func hash(_ text: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return h
    }
}
