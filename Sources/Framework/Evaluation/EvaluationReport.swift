import Foundation

/// Writing an evaluation: `metrics.csv`, `summary.csv`, `grid.png` and a printable table.
public enum EvaluationReport {
    /// `metrics.csv`: one row per variant (the teacher first, then the VAE round trip), step count
    /// and case; `summary.csv`: one row per variant with the means over the cases. Both load
    /// straight into pandas: every cell of a numeric column is a number or empty (a value that does
    /// not exist — the teacher's PSNR to itself, a latent distance across families, the round
    /// trip's steps — is left empty, which pandas reads as NaN). Columns are documented in
    /// `docs/metrics.md`.
    /// `grid.png`: rows = cases, titled by their prompts; columns = teacher, then every variant
    /// sampled at `gridSteps` steps — or at its own steps for teacher baselines — in order, titled
    /// by variant, steps, guidance and NFE.
    public static func write(reference: DistillationEvaluation.Result, results: [DistillationEvaluation.Result],
                             cases: [DistillationEvaluation.Case], gridSteps: Int, to folder: URL) throws {
        let scored = reference.scores != nil
        let metric = ["latent_mse", "teacher_latent_mse", "psnr", "ssim", "psnr_round_trip"] + (scored ? ["score"] : [])
        var lines = [CSV.line(["variant", "steps", "cfg_scale", "nfe", "case", "prompt", "seed"] + metric)]
        var summary = [CSV.line(["variant", "steps", "cfg_scale", "nfe", "cases"] + metric)]
        for (k, result) in ([reference] + results).enumerated() {
            let setting = settingCells(result)
            // The teacher against itself, and the round trip against itself, have no PSNR (it would
            // be infinite); a student may really equal either.
            let psnr = k == 0 ? cases.map { _ in Float.nan } : result.psnr
            let isRoundTrip = result.label == DistillationEvaluation.roundTripLabel
            let roundTripPSNR = isRoundTrip ? cases.map { _ in Float.nan } : result.roundTripPSNR
            for (i, c) in cases.enumerated() {
                let values = [result.latentMSE[i], result.teacherLatentMSE[i], psnr[i], result.ssim[i], roundTripPSNR[i]]
                    + (result.scores.map { [$0[i]] } ?? [])
                lines.append(CSV.line(setting + ["\(i)", c.prompt, "\(c.seed)"] + values.map(cell)))
            }
            let meanPSNR = psnr.reduce(0, +) / Float(max(psnr.count, 1))
            let means = [result.meanLatentMSE, result.meanTeacherLatentMSE, meanPSNR, result.meanSSIM, roundTripPSNR.reduce(0, +) / Float(max(cases.count, 1))]
                + (result.meanScore.map { [$0] } ?? [])
            summary.append(CSV.line(setting + ["\(cases.count)"] + means.map(cell)))
        }
        try AtomicFile.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: folder.appendingPathComponent("metrics.csv"))
        try AtomicFile.write(Data((summary.joined(separator: "\n") + "\n").utf8), to: folder.appendingPathComponent("summary.csv"))
        let columns = [reference] + results.filter {
            $0.label != DistillationEvaluation.roundTripLabel && ($0.label == reference.label || $0.settings.steps == gridSteps)
        }
        let rows = try cases.indices.map { i in try columns.map { try RGBImage(tensor: $0.images[i]) } }
        let titles = columns.map { r in
            r.label.split(separator: " ").map(String.init)
                + ["\(r.settings.steps) steps", String(format: "cfg %g", r.settings.guidanceScale), "nfe \(r.nfe)"]
        }
        try RGBImage.grid(rows, columnTitles: titles, rowTitles: cases.map(\.prompt))
            .write(to: folder.appendingPathComponent("grid.png"), format: .png)
    }

    /// variant, steps, cfg_scale, nfe: the round trip samples nothing, so its steps and guidance are empty.
    private static func settingCells(_ result: DistillationEvaluation.Result) -> [String] {
        let floor = result.label == DistillationEvaluation.roundTripLabel
        return [result.label, floor ? "" : "\(result.settings.steps)", floor ? "" : "\(result.settings.guidanceScale)", "\(result.nfe)"]
    }

    /// A metric's cell: empty where the value does not exist (NaN); an infinite PSNR (identical
    /// images) is written `inf`, which pandas reads as infinity.
    private static func cell(_ value: Float) -> String { value.isNaN ? "" : "\(value)" }

    /// A fixed-width table of the mean metrics.
    public static func table(reference: DistillationEvaluation.Result, results: [DistillationEvaluation.Result]) -> String {
        func row(_ cells: [String], _ widths: [Int]) -> String {
            zip(cells, widths).enumerated().map { i, pair in
                let pad = String(repeating: " ", count: max(0, abs(pair.1) - pair.0.count))
                return i == 0 ? pair.0 + pad : pad + pair.0
            }.joined(separator: "  ")
        }
        let scored = reference.scores != nil
        let labelWidth = max(16, ([reference] + results).map(\.label.count).max() ?? 0)
        let widths = [labelWidth, 5, 4, 4, 10, 10, 7, 5] + (scored ? [9] : [])
        func score(_ r: DistillationEvaluation.Result) -> [String] { r.meanScore.map { [String(format: "%.0f %%", $0 * 100)] } ?? [] }
        var lines = [row(["variant", "steps", "cfg", "NFE", "image MSE", "latent MSE", "PSNR dB", "SSIM"] + (scored ? ["adherence"] : []), widths)]
        lines.append(row([reference.label, "\(reference.settings.steps)", String(format: "%.1f", reference.settings.guidanceScale),
                          "\(reference.nfe)", "reference", "", "", ""] + score(reference), widths))
        for r in results {
            let floor = r.label == DistillationEvaluation.roundTripLabel
            func mse(_ value: Float) -> String { value.isNaN ? "-" : String(format: "%.6f", value) }
            lines.append(row([r.label, floor ? "-" : "\(r.settings.steps)", floor ? "-" : String(format: "%.1f", r.settings.guidanceScale),
                              "\(r.nfe)", mse(r.meanLatentMSE), mse(r.meanTeacherLatentMSE), String(format: "%.2f", r.meanPSNR),
                              String(format: "%.3f", r.meanSSIM)] + score(r), widths))
        }
        lines.append("image MSE: to the latents of the teacher's image (DiffSynth's target); latent MSE: to the teacher's own latents")
        return lines.joined(separator: "\n")
    }
}

extension RGBImage {
    /// Pixels per character of grid titles (narrower than plot labels, so a 64-pixel cell holds 9).
    public static let gridTitleAdvance = 7
    /// Width of the row-title margin of a grid with row titles: 23 characters a line.
    public static let gridRowTitleWidth = 23 * gridTitleAdvance + 6

    /// Images laid out in rows with a 2-pixel white gutter; cells take the size of the first image.
    /// With `columnTitles` (lines of text per column) a header above the cells holds them, with
    /// `rowTitles` a left margin of ``gridRowTitleWidth`` holds each row's title, wrapped.
    public static func grid(_ rows: [[RGBImage]], gutter: Int = 2, columnTitles: [[String]] = [], rowTitles: [String] = []) -> RGBImage {
        guard let first = rows.first?.first else { return RGBImage(width: 1, height: 1) }
        let (cw, ch) = (first.width, first.height)
        let columns = rows.map(\.count).max() ?? 0
        let left = rowTitles.isEmpty ? 0 : gridRowTitleWidth
        let top = columnTitles.isEmpty ? 0 : (columnTitles.map(\.count).max() ?? 0) * BitmapFont.lineHeight + 4
        let width = left + columns * cw + (columns + 1) * gutter, height = top + rows.count * ch + (rows.count + 1) * gutter
        var pixels = [UInt8](repeating: 255, count: width * height * 3)
        func set(_ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8)) {
            guard x >= 0, y >= 0, x < width, y < height else { return }
            let i = (y * width + x) * 3
            (pixels[i], pixels[i + 1], pixels[i + 2]) = c
        }
        for (c, lines) in columnTitles.enumerated() {
            for (k, line) in lines.enumerated() {
                BitmapFont.draw(line, atX: left + gutter + c * (cw + gutter), y: 2 + k * BitmapFont.lineHeight, advance: gridTitleAdvance, set: set)
            }
        }
        for (r, title) in rowTitles.enumerated() {
            for (k, line) in BitmapFont.wrap(title, width: 23).enumerated() {
                BitmapFont.draw(line, atX: 2, y: top + gutter + r * (ch + gutter) + 2 + k * BitmapFont.lineHeight, advance: gridTitleAdvance, set: set)
            }
        }
        for (r, row) in rows.enumerated() {
            for (c, image) in row.enumerated() {
                let cell = image.width == cw && image.height == ch ? image : image.resized(width: cw, height: ch)
                let x0 = left + gutter + c * (cw + gutter), y0 = top + gutter + r * (ch + gutter)
                for y in 0..<ch {
                    let src = y * cw * 3, dst = ((y0 + y) * width + x0) * 3
                    pixels.replaceSubrange(dst..<(dst + cw * 3), with: cell.pixels[src..<(src + cw * 3)])
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}
