import DiffSynth
import Foundation

/// Quality against cost: mean PSNR to the reference teacher (y) against denoiser evaluations per
/// image (x, log scale), one line per variant label (the teacher's own few-step baselines, the
/// student before and after), with the VAE round trip — the best an image-target student can
/// reach — as a dashed line. Labels in ``BitmapFont``.
enum QualityPlot {
    /// The teacher is red and the untrained student grey in every plot; students take the rest in order.
    static let fixed: [String: (UInt8, UInt8, UInt8)] = ["teacher": (200, 40, 40), "student before": (130, 130, 130)]
    static let palette: [(UInt8, UInt8, UInt8)] = [(30, 90, 200), (20, 150, 60), (230, 130, 0), (140, 60, 170), (0, 160, 170), (120, 80, 30)]

    static func render(reference: DistillationEvaluation.Result, results: [DistillationEvaluation.Result],
                       width: Int = 720, height: Int = 420) -> RGBImage {
        var pixels = [UInt8](repeating: 255, count: width * height * 3)
        func set(_ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8)) {
            guard x >= 0, y >= 0, x < width, y < height else { return }
            let i = (y * width + x) * 3
            (pixels[i], pixels[i + 1], pixels[i + 2]) = c
        }
        let floor = results.first { $0.label == DistillationEvaluation.roundTripLabel }
        let points = results.filter { $0.label != DistillationEvaluation.roundTripLabel && $0.nfe > 0 && $0.meanPSNR.isFinite }
        var labels: [String] = []
        for r in points where !labels.contains(r.label) { labels.append(r.label) }
        let values = points.map { Double($0.meanPSNR) } + (floor.map { [Double($0.meanPSNR)] } ?? [])
        guard let lo = values.min(), let hi = values.max(), let maxNFE = points.map(\.nfe).max() else {
            return RGBImage(width: width, height: height, pixels: pixels)
        }
        let (yLo, yHi) = (Foundation.floor(lo / 2) * 2, Swift.max(Foundation.ceil(hi / 2) * 2, Foundation.floor(lo / 2) * 2 + 2))
        let (left, right, top, bottom) = (70, width - 20, 30, height - 50)
        let xHi = Foundation.log2(Double(Swift.max(maxNFE, 2)))
        func x(_ nfe: Int) -> Int { left + Int(Foundation.log2(Double(nfe)) / xHi * Double(right - left)) }
        func y(_ psnr: Double) -> Int { bottom - Int((psnr - yLo) / (yHi - yLo) * Double(bottom - top)) }
        for xx in left...right { set(xx, bottom, (0, 0, 0)) }
        for yy in top...bottom { set(left, yy, (0, 0, 0)) }
        var tick = yLo
        while tick <= yHi {
            for xx in stride(from: left, through: right, by: 4) { set(xx, y(tick), (215, 215, 215)) }
            BitmapFont.draw(String(format: "%.0f", tick), atX: 36, y: y(tick) - 5, set: set)
            tick += (yHi - yLo) > 12 ? 4 : 2
        }
        var nfe = 1
        while nfe <= Swift.max(maxNFE, 2) {
            BitmapFont.draw("\(nfe)", atX: x(nfe) - 4, y: bottom + 8, set: set)
            nfe *= 2
        }
        BitmapFont.draw("denoiser evaluations per image (nfe)", atX: left + 150, y: bottom + 28, set: set)
        BitmapFont.draw("psnr db to the \(reference.settings.steps)-step teacher", atX: 8, y: 8, set: set)
        func line(_ a: (Int, Int), _ b: (Int, Int), _ color: (UInt8, UInt8, UInt8), dashed: Bool = false) {
            let n = Swift.max(Swift.abs(b.0 - a.0), Swift.abs(b.1 - a.1), 1)
            for t in 0...n where !dashed || (t / 6) % 2 == 0 {
                for w in 0..<2 { set(a.0 + (b.0 - a.0) * t / n, a.1 + (b.1 - a.1) * t / n + w, color) }
            }
        }
        if let floor {
            line((left, y(Double(floor.meanPSNR))), (right, y(Double(floor.meanPSNR))), (0, 0, 0), dashed: true)
            BitmapFont.draw("vae round trip", atX: right - 120, y: y(Double(floor.meanPSNR)) - 14, set: set)
        }
        var next = 0
        for (k, label) in labels.enumerated() {
            let color = fixed[label] ?? palette[next % palette.count]
            if fixed[label] == nil { next += 1 }
            let series = points.filter { $0.label == label }.sorted { $0.nfe < $1.nfe }.map { (x($0.nfe), y(Double($0.meanPSNR))) }
            for (a, b) in zip(series, series.dropFirst()) { line(a, b, color) }
            for p in series { for dy in -3...3 { for dx in -3...3 { set(p.0 + dx, p.1 + dy, color) } } }
            let ly = top + 6 + k * 14
            for dy in -2...2 { for dx in 0..<10 { set(left + 16 + dx, ly + 4 + dy, color) } }
            BitmapFont.draw(label, atX: left + 32, y: ly, color: color, set: set)
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}
