import DiffSynth
import Foundation

/// A training curve as a PNG: the raw loss per step (light) and its moving average (dark), on a
/// log-scaled loss axis, with tick labels in ``BitmapFont`` (no font files needed).
enum LossPlot {
    static func render(steps: [Int], losses: [Double], width: Int = 720, height: Int = 360) -> RGBImage {
        var pixels = [UInt8](repeating: 255, count: width * height * 3)
        func set(_ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8)) {
            guard x >= 0, y >= 0, x < width, y < height else { return }
            let i = (y * width + x) * 3
            (pixels[i], pixels[i + 1], pixels[i + 2]) = c
        }
        let (left, right, top, bottom) = (70, width - 20, 20, height - 40)
        let positive = losses.filter { $0 > 0 && $0.isFinite }
        guard let lo = positive.min(), let hi = positive.max(), let firstStep = steps.first, let lastStep = steps.last else {
            return RGBImage(width: width, height: height, pixels: pixels)
        }
        let (logLo, logHi) = (Foundation.log10(lo), Swift.max(Foundation.log10(hi), Foundation.log10(lo) + 1e-6))
        func x(_ step: Int) -> Int { left + Int(Double(step - firstStep) / Double(Swift.max(lastStep - firstStep, 1)) * Double(right - left)) }
        func y(_ loss: Double) -> Int { bottom - Int((Foundation.log10(Swift.max(loss, lo)) - logLo) / (logHi - logLo) * Double(bottom - top)) }
        // Axes, decade grid lines and labels.
        for xx in left...right { set(xx, bottom, (0, 0, 0)) }
        for yy in top...bottom { set(left, yy, (0, 0, 0)) }
        var decade = Foundation.floor(logLo)
        while decade <= logHi {
            if decade >= logLo {
                let yy = y(Foundation.pow(10, decade))
                for xx in stride(from: left, through: right, by: 4) { set(xx, yy, (200, 200, 200)) }
                BitmapFont.draw(String(format: "1e%d", Int(decade)), atX: 8, y: yy - 3, set: set)
            }
            decade += 1
        }
        for k in 0...4 {
            let step = firstStep + (lastStep - firstStep) * k / 4
            BitmapFont.draw("\(step)", atX: x(step) - 10, y: bottom + 8, set: set)
        }
        BitmapFont.draw("step", atX: right - 30, y: bottom + 22, set: set)
        BitmapFont.draw("loss", atX: 8, y: top - 14 + 10, set: set)
        func line(_ points: [(Int, Int)], _ color: (UInt8, UInt8, UInt8)) {
            for (a, b) in zip(points, points.dropFirst()) {
                let n = Swift.max(Swift.abs(b.0 - a.0), Swift.abs(b.1 - a.1), 1)
                for t in 0...n { set(a.0 + (b.0 - a.0) * t / n, a.1 + (b.1 - a.1) * t / n, color) }
            }
        }
        line(zip(steps, losses).map { (x($0), y($1)) }, (170, 200, 235))
        let window = Swift.max(1, losses.count / 50)
        var averaged: [(Int, Int)] = []
        for i in stride(from: 0, to: losses.count, by: Swift.max(1, window / 2)) {
            let slice = losses[Swift.max(0, i - window + 1)...i]
            averaged.append((x(steps[i]), y(slice.reduce(0, +) / Double(slice.count))))
        }
        line(averaged, (20, 60, 160))
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}

import ArgumentParser

/// `diffsynth plot-loss`: a training run's `loss.csv` as a PNG.
struct PlotLossCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plot-loss", abstract: "Draw loss.csv (step,key,value) as a PNG curve.")
    @Option(name: .customLong("csv")) var csv: String
    @Option(name: .customLong("output")) var output: String

    func run() throws {
        try DiffSynthCommand.report {
            let metadata = try Metadata(contentsOf: URL(fileURLWithPath: csv))
            var steps: [Int] = [], losses: [Double] = []
            for row in metadata.rows where row.fields["key"] == "loss" {
                guard let step = Int(row.fields["step"] ?? ""), let value = Double(row.fields["value"] ?? "") else {
                    throw DatasetError.invalidValue(row: row.location, column: "value", value: row.fields["value"] ?? "", expected: "a number")
                }
                steps.append(step)
                losses.append(value)
            }
            try LossPlot.render(steps: steps, losses: losses).write(to: URL(fileURLWithPath: output), format: .png)
            print(output)
        }
    }
}
