import DiffSynth
import Foundation

/// A minimal diffusers `EulerDiscreteScheduler` / `EulerAncestralDiscreteScheduler` for SDXL's
/// shipped settings (scaled-linear betas, epsilon, "leading" or "trailing" spacing), test-only:
/// it keeps the SDXL tests independent of the framework's scheduler ports. Arithmetic follows
/// diffusers' Float32 operation order.
struct TestEulerScheduler: Scheduler {
    enum Spacing: String { case leading, trailing }

    let spacing: Spacing
    let stepsOffset: Int
    let ancestral: Bool
    /// `alphas_cumprod` in Float32, as torch computes it.
    let alphasCumulative: [Float]
    /// `((1 − ᾱ) / ᾱ)^½` per training timestep, Float32.
    let sigmaTable: [Float]

    init(spacing: Spacing, ancestral: Bool, stepsOffset: Int = 1) {
        self.spacing = spacing
        self.ancestral = ancestral
        self.stepsOffset = stepsOffset
        // torch.linspace(0.00085 ** 0.5, 0.012 ** 0.5, 1000, dtype=float32) ** 2
        let count = 1000
        let start = Float(0.00085.squareRoot()), end = Float(0.012.squareRoot())
        let step = (end - start) / Float(count - 1)
        let betas = (0..<count).map { i -> Float in
            let value = i < count / 2 ? start + step * Float(i) : end - step * Float(count - 1 - i)
            return value * value
        }
        var product: Float = 1
        alphasCumulative = betas.map { beta in
            product *= 1 - beta
            return product
        }
        sigmaTable = alphasCumulative.map { ((1 - $0) / $0).squareRoot() }
    }

    /// Reads `_class_name`, `timestep_spacing` and `steps_offset` of a `scheduler_config.json`.
    init(configurationFile url: URL) throws {
        struct File: Decodable {
            let _class_name: String
            let timestep_spacing: String?
            let steps_offset: Int?
        }
        let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: url))
        self.init(spacing: Spacing(rawValue: file.timestep_spacing ?? "linspace") ?? .leading,
                  ancestral: file._class_name == "EulerAncestralDiscreteScheduler", stepsOffset: file.steps_offset ?? 0)
    }

    var predictionType: PredictionType { .epsilon }
    var needsStepNoise: Bool { ancestral }
    var trainingTimestepCount: Int { 1000 }

    func schedule(steps: Int, context: ScheduleContext) -> Schedule {
        let timesteps: [Int]
        switch spacing {
        case .leading:
            let ratio = 1000 / steps
            timesteps = (0..<steps).reversed().map { $0 * ratio + stepsOffset }
        case .trailing:
            let ratio = 1000 / Double(steps)
            timesteps = stride(from: 1000.0, to: 0, by: -ratio).map { Int($0.rounded(.toNearestOrEven)) - 1 }
        }
        let sigmas = timesteps.map { sigmaTable[$0] } + [0]
        let largest = sigmas.max()!
        let initial = spacing == .leading ? (largest * largest + 1).squareRoot() : largest
        return Schedule(sigmas: sigmas, timesteps: timesteps.map(Float.init), initialNoiseScale: initial)
    }

    func scaleModelInput(_ sample: Tensor, step: Int, in schedule: Schedule) -> Tensor {
        let sigma = schedule.sigmas[step]
        return sample / (sigma * sigma + 1).squareRoot()
    }

    func step(prediction: Tensor, sample: Tensor, step: Int, in schedule: Schedule, noise: Tensor?) -> Tensor {
        let sigma = schedule.sigmas[step], next = schedule.sigmas[step + 1]
        let clean = sample - prediction * sigma
        let derivative = (sample - clean) / sigma
        guard ancestral else { return sample + derivative * (next - sigma) }
        let up = (next * next * (sigma * sigma - next * next) / (sigma * sigma)).squareRoot()
        let down = (next * next - up * up).squareRoot()
        let moved = sample + derivative * (down - sigma)
        return moved + noise! * up
    }

    func addNoise(to clean: Tensor, noise: Tensor, step: Int, in schedule: Schedule) -> Tensor {
        clean + noise * schedule.sigmas[step]
    }

    /// DDPM example at timestep `index`: input `√ᾱ·x₀ + √(1−ᾱ)·ε`, target ε.
    func trainingExample(clean: Tensor, noise: Tensor, index: Int) -> TrainingExample {
        let a = alphasCumulative[index]
        return TrainingExample(modelInput: clean * a.squareRoot() + noise * (1 - a).squareRoot(), timestep: Float(index),
                               target: noise, weight: 1)
    }
}
