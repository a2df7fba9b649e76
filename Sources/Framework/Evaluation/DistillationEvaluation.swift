import Foundation

/// Measures how close a few-step student comes to its many-step teacher on held-out
/// (prompt, seed) pairs: the numbers Direct Distillation is judged by.
public enum DistillationEvaluation {
    /// A held-out prompt and seed.
    public struct Case: Sendable {
        public let prompt: String
        public let negativePrompt: String
        public let seed: UInt64
        public init(prompt: String, negativePrompt: String = "", seed: UInt64) {
            self.prompt = prompt
            self.negativePrompt = negativePrompt
            self.seed = seed
        }
    }

    /// A model sampled at some settings, e.g. "student after" at 4 steps, guidance 1.
    public struct Variant {
        public let label: String
        public let pipeline: any DiffusionPipeline
        public let settings: SamplingSettings
        public init(label: String, pipeline: any DiffusionPipeline, settings: SamplingSettings) {
            self.label = label
            self.pipeline = pipeline
            self.settings = settings
        }
    }

    /// One variant's samples and distances to the teacher, per case.
    public struct Result {
        public let label: String
        public let settings: SamplingSettings
        /// Latent-space MSE to the latents of the teacher's image — its decoded picture encoded by
        /// this variant's own VAE, exactly the target Direct Distillation trains on (so it is also
        /// defined when teacher and student are of different families).
        public let latentMSE: [Float]
        /// Image-space PSNR (dB) and SSIM to the teacher's decoded image.
        public let psnr: [Float]
        public let ssim: [Float]
        /// Decoded images in [-1, 1], `[1, 3, H, W]`.
        public let images: [Tensor]
        /// The caller's per-image score (e.g. prompt adherence, 1 = follows the prompt), when one was given.
        public let scores: [Float]?

        public var meanLatentMSE: Float { latentMSE.reduce(0, +) / Float(max(latentMSE.count, 1)) }
        public var meanPSNR: Float { psnr.reduce(0, +) / Float(max(psnr.count, 1)) }
        public var meanSSIM: Float { ssim.reduce(0, +) / Float(max(ssim.count, 1)) }
        public var meanScore: Float? { scores.map { $0.reduce(0, +) / Float(max($0.count, 1)) } }
    }

    /// Samples the teacher once per case, then every variant, and compares.
    ///
    /// Latent MSE is measured against the teacher's image encoded by each variant's VAE, not
    /// against the teacher's raw sampled latents: a VAE's encoder is not the inverse of its
    /// decoder (latent directions the decoder ignores are arbitrary in a sample), and the image is
    /// what a distillation dataset holds.
    ///
    /// - Parameter score: an optional per-image measure of the decoded image in [-1, 1] for a case
    ///   (e.g. whether it follows its prompt), reported for the teacher and every variant.
    public static func run(teacher: Variant, variants: [Variant], cases: [Case], height: Int, width: Int,
                           score: ((Case, Tensor) -> Float)? = nil,
                           onSample: (String, Int) -> Void = { _, _ in }) throws -> (teacher: Result, variants: [Result]) {
        func sample(_ v: Variant, _ c: Case) throws -> (latents: Tensor, image: Tensor) {
            let latents = try Sampler.generate(pipeline: v.pipeline, prompt: c.prompt, negativePrompt: c.negativePrompt, height: height,
                                               width: width, seed: c.seed, steps: v.settings.steps, guidanceScale: v.settings.guidanceScale)
            return (latents, try withNoGrad { try v.pipeline.decode(latents: latents) }.clamp(min: -1, max: 1))
        }
        var reference: [(latents: Tensor, image: Tensor)] = []
        for (i, c) in cases.enumerated() {
            reference.append(try sample(teacher, c))
            onSample(teacher.label, i)
        }
        let teacherResult = Result(label: teacher.label, settings: teacher.settings, latentMSE: cases.map { _ in 0 },
                                   psnr: cases.map { _ in .infinity }, ssim: cases.map { _ in 1 }, images: reference.map(\.image),
                                   scores: score.map { f in zip(cases, reference).map { f($0, $1.image) } })
        var results: [Result] = []
        for variant in variants {
            var mse: [Float] = [], psnr: [Float] = [], ssim: [Float] = [], images: [Tensor] = []
            for (i, c) in cases.enumerated() {
                let (latents, image) = try sample(variant, c)
                let target = try withNoGrad { try variant.pipeline.encode(image: reference[i].image) }
                mse.append(latents.shape == target.shape ? withNoGrad { latents.mseLoss(target).item() } : .nan)
                psnr.append(ImageMetrics.psnr(image, reference[i].image))
                ssim.append(ImageMetrics.ssim(image, reference[i].image))
                images.append(image)
                onSample(variant.label, i)
            }
            results.append(Result(label: variant.label, settings: variant.settings, latentMSE: mse, psnr: psnr, ssim: ssim, images: images,
                                  scores: score.map { f in zip(cases, images).map { f($0, $1) } }))
        }
        return (teacherResult, results)
    }
}
