import ArgumentParser
import DiffSynth
import Foundation

/// Up-front checks of command-line values, each failure naming the flag, so that nothing is
/// sampled, allocated or written before a value that cannot work is refused.
enum InputChecks {
    /// The most sampling steps (see ``Sampler/maxSteps``).
    static let maxSteps = Sampler.maxSteps
    /// The largest image side: libjpeg's limit is 65,500, and far smaller sizes already exceed
    /// any machine's memory (see ``requireMemory(height:width:pipeline:)``).
    static let maxSide = 16384

    /// Every value must be a finite number (ArgumentParser accepts `nan` and `inf` as floats).
    static func requireFinite(_ values: [(flag: String, value: Float?)]) throws {
        for (flag, value) in values {
            if let value, !value.isFinite { throw ValidationError("\(flag) must be a finite number, got \(value)") }
        }
    }

    /// `value` must lie in `range` (when given).
    static func require(_ flag: String, _ value: Int?, in range: ClosedRange<Int>) throws {
        guard let value else { return }
        guard range.contains(value) else {
            let bound = range.upperBound == Int.max ? "at least \(range.lowerBound)" : "in \(range.lowerBound)...\(range.upperBound)"
            throw ValidationError("\(flag) must be \(bound), got \(value)")
        }
    }

    /// A sampling step count: 1...``maxSteps``.
    static func requireSteps(_ flag: String, _ value: Int?) throws { try require(flag, value, in: 1...maxSteps) }

    /// Image sides: 1...``maxSide`` each.
    static func requireSides(height: Int?, width: Int?) throws {
        try require("--height", height, in: 1...maxSide)
        try require("--width", width, in: 1...maxSide)
    }

    /// Refuses an image size whose sampling and decoding would not fit in this machine's memory,
    /// before anything is allocated. The estimate is the VAE decoder's full-resolution activations
    /// (128 channels for both built-in families' decoders, three tensors alive at a time), which
    /// dominate at every size.
    static func requireMemory(height: Int, width: Int, images: Int = 1, flags: String = "--height/--width") throws {
        let pixels = Double(height) * Double(width) * Double(images)
        let bytes = pixels * 4 * 128 * 3
        let available = Double(ProcessInfo.processInfo.physicalMemory)
        guard bytes <= available * 0.8 else {
            throw ValidationError(String(format: "%@ %dx%d: decoding %@ needs about %.0f GB of memory; this machine has %.0f GB",
                                         flags, height, width, images == 1 ? "the image" : "a batch of \(images) images",
                                         bytes / 1e9, available / 1e9))
        }
    }

    /// The file `path` will be written: its folder must exist and be writable, and the path must
    /// not be a folder. Checked before any work, so a typo costs nothing.
    static func requireWritableFile(_ path: String, flag: String) throws {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ValidationError("\(flag) \(path) is a folder; name the file to write")
        }
        let folder = url.deletingLastPathComponent()
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory) else {
            throw ValidationError("\(flag) \(path): the folder \(folder.path) does not exist")
        }
        guard isDirectory.boolValue else { throw ValidationError("\(flag) \(path): \(folder.path) is not a folder") }
        guard access(folder.path, W_OK) == 0 else { throw ValidationError("\(flag) \(path): the folder \(folder.path) is not writable") }
    }

    /// The output folder `path` (created when missing): it must not be a file, and the nearest
    /// existing folder above it must be writable.
    static func requireOutputFolder(_ path: String, flag: String) throws {
        var url = URL(fileURLWithPath: path).standardizedFileURL
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw ValidationError("\(flag) \(path) is a file, not a folder") }
            guard access(url.path, W_OK) == 0 else { throw ValidationError("\(flag) \(path) is not writable") }
            return
        }
        while !FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) { url.deleteLastPathComponent() }
        guard isDirectory.boolValue else { throw ValidationError("\(flag) \(path): \(url.path) is a file, not a folder") }
        guard access(url.path, W_OK) == 0 else { throw ValidationError("\(flag) \(path): \(url.path) is not writable") }
    }

    /// A file the command reads: it must exist and be a file.
    static func requireReadableFile(_ path: String, flag: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ValidationError("\(flag) \(path) does not exist")
        }
        if isDirectory.boolValue { throw ValidationError("\(flag) \(path) is a folder, not a file") }
        guard access(path, R_OK) == 0 else { throw ValidationError("\(flag) \(path) is not readable") }
    }
}
