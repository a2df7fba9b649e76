import DiffSynth
import Foundation

/// The embedded default's world: one coloured shape of a given size and position on a plain
/// background, with a caption that names all four. Everything is deterministic from a seed, so
/// the training set (and every number trained from it) is reproducible by one command.
enum Shapes {
    enum Kind: String, CaseIterable { case circle, square, triangle, ring }

    /// Named colours; object and background are always different.
    static let palette: [(name: String, rgb: (Int, Int, Int))] = [
        ("red", (220, 40, 40)), ("green", (40, 170, 60)), ("blue", (40, 80, 220)), ("yellow", (235, 210, 40)),
        ("purple", (140, 50, 170)), ("orange", (240, 120, 20)), ("white", (245, 245, 245)), ("black", (20, 20, 20)),
    ]
    static let sizes: [(name: String, radius: Double)] = [("small", 0.17), ("large", 0.3)]
    static let positions: [(name: String, x: Double, y: Double)] = [
        ("in the center", 0.5, 0.5), ("on the left", 0.3, 0.5), ("on the right", 0.7, 0.5), ("at the top", 0.5, 0.3), ("at the bottom", 0.5, 0.7),
    ]

    /// One picture's content.
    struct Scene: Equatable {
        var kind: Kind
        var color: Int          // palette index
        var background: Int     // palette index, ≠ color
        var size: Int           // sizes index
        var position: Int       // positions index

        var caption: String {
            "a \(sizes[size].name) \(palette[color].name) \(kind.rawValue) \(positions[position].name) on a \(palette[background].name) background"
        }
    }

    /// The `index`-th scene of the stream seeded by `seed`.
    static func scene(seed: UInt64, index: Int) -> Scene {
        var generator = TorchGenerator(seed: seed &* 1_000_003 &+ UInt64(index))
        func pick(_ n: Int) -> Int { Int(generator.randint(low: 0, high: Int64(n), count: 1)[0]) }
        let kind = Kind.allCases[pick(Kind.allCases.count)]
        let color = pick(palette.count)
        var background = pick(palette.count - 1)
        if background >= color { background += 1 }
        return Scene(kind: kind, color: color, background: background, size: pick(sizes.count), position: pick(positions.count))
    }

    /// Draws a scene at `side × side` pixels, 4×4 supersampled so edges are smooth.
    static func render(_ scene: Scene, side: Int) -> RGBImage {
        let (fr, fg, fb) = palette[scene.color].rgb, (br, bg, bb) = palette[scene.background].rgb
        let s = Double(side)
        let r = sizes[scene.size].radius * s
        let cx = positions[scene.position].x * s, cy = positions[scene.position].y * s
        func inside(_ x: Double, _ y: Double) -> Bool {
            let dx = x - cx, dy = y - cy
            switch scene.kind {
            case .circle: return dx * dx + dy * dy <= r * r
            case .square: return Swift.abs(dx) <= r * 0.85 && Swift.abs(dy) <= r * 0.85
            case .ring: let d = (dx * dx + dy * dy).squareRoot(); return d <= r && d >= r * 0.55
            case .triangle:
                // Upward triangle inscribed in the circle of radius r.
                let top = cy - r, bottom = cy + r * 0.5
                guard y >= top && y <= bottom else { return false }
                let halfWidth = (y - top) / (bottom - top) * r * 0.866
                return Swift.abs(dx) <= halfWidth
            }
        }
        var pixels = [UInt8](repeating: 0, count: side * side * 3)
        let samples = 4
        for py in 0..<side {
            for px in 0..<side {
                var hits = 0
                for sy in 0..<samples {
                    for sx in 0..<samples where inside(Double(px) + (Double(sx) + 0.5) / Double(samples), Double(py) + (Double(sy) + 0.5) / Double(samples)) {
                        hits += 1
                    }
                }
                let t = Double(hits) / Double(samples * samples)
                let i = (py * side + px) * 3
                pixels[i] = UInt8((Double(br) + (Double(fr) - Double(br)) * t).rounded())
                pixels[i + 1] = UInt8((Double(bg) + (Double(fg) - Double(bg)) * t).rounded())
                pixels[i + 2] = UInt8((Double(bb) + (Double(fb) - Double(bb)) * t).rounded())
            }
        }
        return RGBImage(width: side, height: side, pixels: pixels)
    }

    /// What a picture shows, read back automatically: the object's colour and shape class.
    struct Reading: Equatable {
        var color: String
        var kind: Kind?
    }

    /// Reads the object of a picture, robust to the blur of a small VAE:
    /// - background = the median colour of the border; candidate pixels are more than 45 from it
    ///   (RGB distance, about half the closest two palette colours' distance);
    /// - the object's colour estimate = the candidates' median; its body = the largest 4-connected
    ///   region of candidates closer to that colour than to the background (the 50 % contour of a
    ///   blurred edge lies on the sharp one), so halos and stray specks do not count;
    /// - colour = the palette entry nearest the body's mean; shape: hollow centre → ring, much less
    ///   mass above the box's middle than below (an upward triangle has 1:3) → triangle, filling
    ///   its bounding box (square 1, circle π/4) → square, else circle.
    static func read(_ image: RGBImage) -> Reading {
        let (w, h) = (image.width, image.height)
        func pixel(_ i: Int) -> (Int, Int, Int) {
            (Int(image.pixels[3 * i]), Int(image.pixels[3 * i + 1]), Int(image.pixels[3 * i + 2]))
        }
        func median(_ values: [Int]) -> Int { values.sorted()[values.count / 2] }
        func medianColor(_ indices: [Int]) -> (Int, Int, Int) {
            (median(indices.map { pixel($0).0 }), median(indices.map { pixel($0).1 }), median(indices.map { pixel($0).2 }))
        }
        func distance(_ a: (Int, Int, Int), _ b: (Int, Int, Int)) -> Int {
            let (d0, d1, d2) = (a.0 - b.0, a.1 - b.1, a.2 - b.2)
            return d0 * d0 + d1 * d1 + d2 * d2
        }
        var border: [Int] = []
        for x in 0..<w { border += [x, (h - 1) * w + x] }
        for y in 0..<h { border += [y * w, y * w + w - 1] }
        let background = medianColor(border)
        let candidates = (0..<(w * h)).filter { distance(pixel($0), background) > 45 * 45 }
        guard candidates.count >= 6 else { return Reading(color: "none", kind: nil) }
        let estimate = medianColor(candidates)
        var body = [Bool](repeating: false, count: w * h)
        for i in candidates where distance(pixel(i), estimate) < distance(pixel(i), background) { body[i] = true }
        // The largest 4-connected region of the body.
        var seen = [Bool](repeating: false, count: w * h)
        var largest: [Int] = []
        for start in 0..<(w * h) where body[start] && !seen[start] {
            var region = [start]
            seen[start] = true
            var next = 0
            while next < region.count {
                let i = region[next]
                next += 1
                let (x, y) = (i % w, i / w)
                for (nx, ny) in [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)] where nx >= 0 && nx < w && ny >= 0 && ny < h {
                    let j = ny * w + nx
                    if body[j] && !seen[j] { seen[j] = true; region.append(j) }
                }
            }
            if region.count > largest.count { largest = region }
        }
        guard largest.count >= 6 else { return Reading(color: "none", kind: nil) }
        var sum = (0, 0, 0)
        var (minX, minY, maxX, maxY) = (w, h, -1, -1)
        var inRegion = [Bool](repeating: false, count: w * h)
        for i in largest {
            let p = pixel(i)
            sum = (sum.0 + p.0, sum.1 + p.1, sum.2 + p.2)
            let (x, y) = (i % w, i / w)
            (minX, minY, maxX, maxY) = (Swift.min(minX, x), Swift.min(minY, y), Swift.max(maxX, x), Swift.max(maxY, y))
            inRegion[i] = true
        }
        let n = largest.count
        let mean = (sum.0 / n, sum.1 / n, sum.2 / n)
        let color = palette.min { distance($0.rgb, mean) < distance($1.rgb, mean) }!.name
        let fill = Double(n) / Double((maxX - minX + 1) * (maxY - minY + 1))
        // Rows strictly above and below the box's middle (2·y compared with minY + maxY avoids halves).
        let above = largest.filter { 2 * ($0 / w) < minY + maxY }.count, below = largest.filter { 2 * ($0 / w) > minY + maxY }.count
        let hollow = !inRegion[((minY + maxY) / 2) * w + (minX + maxX) / 2]
        let kind: Kind
        if hollow { kind = .ring } else if Double(above) < 0.8 * Double(Swift.max(below, 1)) { kind = .triangle }
        else if fill > 0.86 { kind = .square } else { kind = .circle }
        return Reading(color: color, kind: kind)
    }

    /// Whether a picture shows what `scene` asks for (colour and shape class).
    static func adheres(_ image: RGBImage, to scene: Scene) -> Bool {
        let reading = read(image)
        return reading.color == palette[scene.color].name && reading.kind == scene.kind
    }

    /// The scene a caption describes (inverse of ``Scene/caption``), nil for other text.
    static func scene(caption: String) -> Scene? {
        for kind in Kind.allCases {
            for (c, color) in palette.enumerated() {
                for (b, background) in palette.enumerated() where b != c {
                    for (s, size) in sizes.enumerated() {
                        for (p, position) in positions.enumerated() {
                            let scene = Scene(kind: kind, color: c, background: b, size: s, position: p)
                            if caption == "a \(size.name) \(color.name) \(kind.rawValue) \(position.name) on a \(background.name) background" {
                                return scene
                            }
                        }
                    }
                }
            }
        }
        return nil
    }
}
