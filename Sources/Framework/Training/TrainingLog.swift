import Foundation

/// `loss.csv` in DiffSynth-Studio's format: header `step,key,value`, one row per value
/// (`17,loss,0.0123`), flushed after every step so a crash loses nothing. We also log `lr` and
/// `seconds` (wall time of the step) under their own keys.
final class CSVLog {
    private let url: URL
    private let handle: FileHandle

    /// Opens (appending) the log; on resume, rows after `keepingStepsUpTo` are dropped first so the
    /// file reads as one uninterrupted run.
    init(url: URL, keepingStepsUpTo lastStep: Int?) throws {
        self.url = url
        let manager = FileManager.default
        if let lastStep, manager.fileExists(atPath: url.path) {
            let text = try String(contentsOf: url, encoding: .utf8)
            let kept = text.split(separator: "\n").filter { line in
                guard let step = Int(line.split(separator: ",").first ?? "") else { return true }
                return step <= lastStep
            }
            try AtomicFile.write(Data((kept.joined(separator: "\n") + "\n").utf8), to: url)
        }
        if !manager.fileExists(atPath: url.path) || (try? manager.attributesOfItem(atPath: url.path)[.size] as? Int) == 0 {
            try AtomicFile.write(Data("step,key,value\n".utf8), to: url)
        }
        handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
    }

    func log(step: Int, _ values: [(String, Double)]) throws {
        let text = values.map { "\(step),\($0.0),\($0.1)\n" }.joined()
        try handle.write(contentsOf: Data(text.utf8))
        try handle.synchronize()
    }

    deinit { try? handle.close() }
}

/// Writing whole files atomically: into a temporary file in the same directory, then renamed
/// over the destination, so readers (and a crash) see either the old or the new file, never
/// half of one.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try data.write(to: temporary)
            if rename(temporary.path, url.path) != 0 {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }
}

extension AtomicFile {
    /// Whether `name` is one of the temporary files our atomic writers create beside their
    /// destination — `.NAME.tmp-XXXXXX` (safetensors), `.NAME.tmp-PID-UUID` (images),
    /// `.NAME.UUID.tmp` (this writer) — which only a kill during the write leaves behind.
    public static func isTemporaryName(_ name: String) -> Bool {
        guard name.hasPrefix("."), name.count > 5 else { return false }
        if let range = name.range(of: ".tmp-", options: .backwards) {
            let tail = name[range.upperBound...]
            return !tail.isEmpty && tail.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" }
        }
        let parts = name.dropFirst().split(separator: ".")
        return name.hasSuffix(".tmp") && parts.count >= 3 && UUID(uuidString: String(parts[parts.count - 2])) != nil
    }

    /// Removes the temporaries a killed run left in `folder` (not recursively); returns their names.
    @discardableResult
    public static func removeStaleTemporaries(in folder: URL) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter(isTemporaryName).sorted().filter { (try? FileManager.default.removeItem(at: folder.appendingPathComponent($0))) != nil }
    }
}

/// Formats durations as `1:05:09` / `4:02`.
enum Duration {
    static func format(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "--:--" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
