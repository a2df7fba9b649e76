import Foundation

/// Measures how close a few-step student comes to its many-step teacher on held-out
/// (prompt, seed) pairs: the numbers Direct Distillation is judged by.
public enum DistillationEvaluation {
    /// A held-out prompt and seed.
    public struct Case: Sendable {
        public let prompt: String
        /// nil: none given (the family's default, see ``DiffusionPipeline/negativeConditioning(prompt:positive:)``).
        public let negativePrompt: String?
        public let seed: UInt64
        public init(prompt: String, negativePrompt: String? = nil, seed: UInt64) {
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
        /// The sampling family's rule, which says whether `settings` guided.
        public let guidance: GuidanceRule
        /// Latent-space MSE to the latents of the teacher's image — its decoded picture encoded by
        /// this variant's own VAE, exactly the target Direct Distillation trains on (so it is also
        /// defined when teacher and student are of different families).
        public let latentMSE: [Float]
        /// Latent-space MSE to the teacher's own sampled latents — what a Direct Distillation
        /// student trained on latent targets minimises; NaN where the latent spaces differ (another
        /// family or shape).
        public let teacherLatentMSE: [Float]
        /// Image-space PSNR (dB) and SSIM to the teacher's decoded image.
        public let psnr: [Float]
        public let ssim: [Float]
        /// PSNR (dB) to the teacher image's VAE round trip (decode(encode(image))): the picture a
        /// student trained on image targets is pulled towards.
        public let roundTripPSNR: [Float]
        /// Decoded images in [-1, 1], `[1, 3, H, W]`.
        public let images: [Tensor]
        /// The caller's per-image score (e.g. prompt adherence, 1 = follows the prompt), when one was given.
        public let scores: [Float]?

        public var meanLatentMSE: Float { latentMSE.reduce(0, +) / Float(max(latentMSE.count, 1)) }
        public var meanTeacherLatentMSE: Float { teacherLatentMSE.reduce(0, +) / Float(max(teacherLatentMSE.count, 1)) }
        public var meanPSNR: Float { psnr.reduce(0, +) / Float(max(psnr.count, 1)) }
        public var meanRoundTripPSNR: Float { roundTripPSNR.reduce(0, +) / Float(max(roundTripPSNR.count, 1)) }
        /// Denoiser evaluations per image: one per step, two with guidance (0 for the VAE round trip).
        public var nfe: Int {
            label == DistillationEvaluation.roundTripLabel ? 0 : settings.steps * guidance.evaluationsPerStep(settings.guidanceScale)
        }
        public var meanSSIM: Float { ssim.reduce(0, +) / Float(max(ssim.count, 1)) }
        public var meanScore: Float? { scores.map { $0.reduce(0, +) / Float(max($0.count, 1)) } }
    }

    /// The label of the VAE round-trip row: the teacher's image encoded and decoded by the
    /// teacher's VAE, the closest any student trained on image targets can come (the floor).
    public static let roundTripLabel = "VAE round trip"

    /// Samples the teacher once per case, then every variant, and compares. The results start
    /// with the VAE round trip of the teacher's images (``roundTripLabel``).
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
            return (latents, try v.pipeline.decodeImage(latents: latents).clamp(min: -1, max: 1))
        }
        var reference: [(latents: Tensor, image: Tensor, roundTrip: Tensor)] = []
        for (i, c) in cases.enumerated() {
            let (latents, image) = try sample(teacher, c)
            let roundTrip = try withNoGrad { try teacher.pipeline.decode(latents: try teacher.pipeline.encode(image: image)) }.clamp(min: -1, max: 1)
            reference.append((latents, image, roundTrip))
            onSample(teacher.label, i)
        }
        let teacherResult = Result(label: teacher.label, settings: teacher.settings, guidance: teacher.pipeline.descriptor.guidance, latentMSE: cases.map { _ in 0 },
                                   teacherLatentMSE: cases.map { _ in 0 }, psnr: cases.map { _ in .infinity }, ssim: cases.map { _ in 1 },
                                   roundTripPSNR: reference.map { ImageMetrics.psnr($0.image, $0.roundTrip) },
                                   images: reference.map(\.image), scores: score.map { f in zip(cases, reference).map { f($0, $1.image) } })
        let sameLatentSpace = { (v: Variant) in v.pipeline.descriptor.family == teacher.pipeline.descriptor.family }
        func compare(_ label: String, _ settings: SamplingSettings, _ pipeline: any DiffusionPipeline, _ sameSpace: Bool,
                     _ outputs: [(latents: Tensor, image: Tensor)]) throws -> Result {
            var mse: [Float] = [], raw: [Float] = [], psnr: [Float] = [], ssim: [Float] = [], toRoundTrip: [Float] = []
            for (i, output) in outputs.enumerated() {
                let target = try withNoGrad { try pipeline.encode(image: reference[i].image) }
                mse.append(output.latents.shape == target.shape ? withNoGrad { output.latents.mseLoss(target).item() } : .nan)
                raw.append(sameSpace && output.latents.shape == reference[i].latents.shape
                           ? withNoGrad { output.latents.mseLoss(reference[i].latents).item() } : .nan)
                psnr.append(ImageMetrics.psnr(output.image, reference[i].image))
                ssim.append(ImageMetrics.ssim(output.image, reference[i].image))
                toRoundTrip.append(ImageMetrics.psnr(output.image, reference[i].roundTrip))
            }
            return Result(label: label, settings: settings, guidance: pipeline.descriptor.guidance, latentMSE: mse, teacherLatentMSE: raw, psnr: psnr, ssim: ssim,
                          roundTripPSNR: toRoundTrip, images: outputs.map(\.image),
                          scores: score.map { f in zip(cases, outputs).map { f($0, $1.image) } })
        }
        let roundTrips = try reference.map { r in (latents: try withNoGrad { try teacher.pipeline.encode(image: r.roundTrip) }, image: r.roundTrip) }
        var results = [try compare(roundTripLabel, teacher.settings, teacher.pipeline, true, roundTrips)]
        for variant in variants {
            var outputs: [(latents: Tensor, image: Tensor)] = []
            for (i, c) in cases.enumerated() {
                outputs.append(try sample(variant, c))
                onSample(variant.label, i)
            }
            results.append(try compare(variant.label, variant.settings, variant.pipeline, sameLatentSpace(variant), outputs))
        }
        return (teacherResult, results)
    }
}
