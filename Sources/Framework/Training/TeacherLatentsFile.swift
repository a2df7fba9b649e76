import Foundation

/// The teacher's final sampled latents as a file: what `diffsynth dataset` writes next to each
/// teacher image (`latents/NNNNNN.safetensors`, the metadata's `latents` column) so that Direct
/// Distillation can regress onto the teacher's own latents instead of the VAE encoding of its
/// decoded image — which no student can get closer to than the VAE's round trip allows.
///
/// One tensor, `latents`, `[1, C, H/f, W/f]` in float32, in the family's normalised latent space;
/// `__metadata__` records the family (`family`) so a student of another family (whose latent
/// space is different) falls back to the image.
public enum TeacherLatentsFile {
    /// The tensor's name in the file.
    public static let tensorName = "latents"

    /// Writes `latents` atomically (temporary file, then rename).
    public static func write(_ latents: Tensor, family: String, to url: URL) throws {
        try SafetensorsWriter.write([(name: tensorName, tensor: latents.detached())], metadata: ["family": family], to: url)
    }

    /// The latents and the family that sampled them (nil when the file does not say).
    /// - Throws: ``TeacherLatentsError`` naming the file when it has no `latents` tensor or the
    ///   tensor is not `[1, C, h, w]` with finite values; ``SafetensorsError`` for unreadable files.
    public static func read(_ url: URL) throws -> (latents: Tensor, family: String?) {
        let file = try SafetensorsFile(url: url)
        guard file.names.contains(tensorName) else { throw TeacherLatentsError.noTensor(file: url.path, names: file.names) }
        let latents = try file.tensor(tensorName)
        guard latents.shape.count == 4, latents.shape[0] == 1 else {
            throw TeacherLatentsError.badShape(file: url.path, shape: latents.shape)
        }
        guard latents.scalars.allSatisfy(\.isFinite) else { throw TeacherLatentsError.nonFinite(file: url.path) }
        return (latents, file.metadata["family"])
    }
}

/// Why a teacher-latents file cannot be a training target. Each case names the file.
public enum TeacherLatentsError: Error, CustomStringConvertible {
    case noTensor(file: String, names: [String])
    case badShape(file: String, shape: [Int])
    case nonFinite(file: String)
    case mismatch(file: String, row: String, reason: String)

    public var description: String {
        switch self {
        case .noTensor(let file, let names):
            return "\(file): no tensor named 'latents' (it has \(names.isEmpty ? "none" : names.joined(separator: ", ")))"
        case .badShape(let file, let shape): return "\(file): latents of shape \(shape), expected [1, channels, height, width]"
        case .nonFinite(let file): return "\(file): the latents contain NaN or Inf"
        case .mismatch(let file, let row, let reason): return "\(row): \(file): \(reason)"
        }
    }
}
