import DiffSynth
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Progress on stderr: an updating line on a terminal, whole lines (at most about one a second)
/// in logs, so CI output stays readable.
final class Progress {
    private let label: String
    private let total: Int
    private let start = Date()
    private var lastPrint = Date.distantPast
    private let interactive = isatty(STDERR_FILENO) != 0

    init(_ label: String, total: Int) {
        self.label = label
        self.total = total
    }

    /// Reports `done` of `total`, with an optional extra text (e.g. a loss).
    func update(_ done: Int, _ extra: String = "") {
        let now = Date()
        guard done == total || now.timeIntervalSince(lastPrint) >= (interactive ? 0.1 : 1) else { return }
        lastPrint = now
        let elapsed = now.timeIntervalSince(start)
        let rate = Double(done) / max(elapsed, 1e-9)
        let remaining = rate > 0 ? Double(total - done) / rate : .infinity
        let width = 24, filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let text = String(format: "%@ %@ %d/%d  %.2f it/s  ETA %@%@", label, bar, done, total, rate, format(remaining),
                          extra.isEmpty ? "" : "  " + extra)
        FileHandle.standardError.write(Data((interactive ? "\r\u{1B}[K" + text + (done == total ? "\n" : "") : text + "\n").utf8))
    }

    private func format(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "--:--" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}

/// Writes a line to stderr.
func note(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }
