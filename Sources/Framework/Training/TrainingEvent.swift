import Foundation

/// What the trainer reports while it runs.
public enum TrainingEvent {
    /// Training starts (after validation and setup); `resumedAt` is the first step when resuming.
    case started(totalSteps: Int, trainableParameters: Int, resumedAt: Int?)
    /// A micro-step finished.
    case step(TrainingProgress)
    /// A checkpoint was written.
    case checkpoint(URL)
    /// Something the user should know that is not an error (e.g. a leftover file removed).
    case note(String)
}

/// One micro-step's numbers.
public struct TrainingProgress: Sendable {
    /// 1-based micro-step (DiffSynth counts micro-batches).
    public let step: Int
    public let totalSteps: Int
    public let epoch: Int
    public let loss: Float
    public let learningRate: Float
    /// Steps per second over the run so far (this session).
    public let stepsPerSecond: Double
    /// Estimated seconds to the end.
    public let secondsRemaining: Double
    /// The row the step trained on.
    public let row: String

    /// `step 12/250  epoch 0  loss 0.012300  lr 1.00e-04  2.31 it/s  ETA 1:43`
    public var line: String {
        String(format: "step %d/%d  epoch %d  loss %.6f  lr %.2e  %.2f it/s  ETA %@", step, totalSteps, epoch, loss,
               learningRate, stepsPerSecond, Duration.format(secondsRemaining))
    }
}

/// What ended or prevented a run. Each case names the step, row, file or setting at fault.
public enum TrainingError: Error, CustomStringConvertible {
    case emptyDataset
    case nonFinite(step: Int, row: String, what: String)
    case noTrainingState(String)
    case corruptTrainingState(String, String)
    case resumeMismatch(setting: String, checkpoint: String, now: String)
    case loraCheckpointMismatch(file: String, reason: String)

    public var description: String {
        switch self {
        case .emptyDataset: return "the dataset has no rows"
        case .nonFinite(let step, let row, let what):
            return "step \(step): \(what) is not finite (NaN or infinity) on \(row); stopped, earlier checkpoints are intact"
        case .noTrainingState(let path): return "\(path): no training state to resume from"
        case .corruptTrainingState(let path, let key): return "\(path): training state lacks '\(key)'"
        case .resumeMismatch(let setting, let checkpoint, let now):
            return "cannot resume: '\(setting)' was \(checkpoint) in the checkpointed run and is \(now) now"
        case .loraCheckpointMismatch(let file, let reason): return "\(file): \(reason)"
        }
    }
}
