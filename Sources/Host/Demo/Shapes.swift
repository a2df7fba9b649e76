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

    /// Reads the object of a picture: background = the median colour of the border; object =
    /// pixels more than half the closest palette distance (≈ 85) from it; colour = nearest palette entry to the object's mean; shape from the
    /// object's fill of its bounding box and whether the box's centre is hollow.
    static func read(_ image: RGBImage) -> Reading {
        let (w, h) = (image.width, image.height)
        func pixel(_ x: Int, _ y: Int) -> (Int, Int, Int) {
            let i = (y * w + x) * 3
            return (Int(image.pixels[i]), Int(image.pixels[i + 1]), Int(image.pixels[i + 2]))
        }
        var border: [(Int, Int, Int)] = []
        for x in 0..<w { border.append(pixel(x, 0)); border.append(pixel(x, h - 1)) }
        for y in 0..<h { border.append(pixel(0, y)); border.append(pixel(w - 1, y)) }
        func median(_ values: [Int]) -> Int { values.sorted()[values.count / 2] }
        let background = (median(border.map(\.0)), median(border.map(\.1)), median(border.map(\.2)))
        func distance(_ a: (Int, Int, Int), _ b: (Int, Int, Int)) -> Int {
            let (d0, d1, d2) = (a.0 - b.0, a.1 - b.1, a.2 - b.2)
            return d0 * d0 + d1 * d1 + d2 * d2
        }
        var count = 0, sum = (0, 0, 0)
        var (minX, minY, maxX, maxY) = (w, h, -1, -1)
        var mask = [Bool](repeating: false, count: w * h)
        for y in 0..<h {
            for x in 0..<w where distance(pixel(x, y), background) > 45 * 45 {
                let p = pixel(x, y)
                mask[y * w + x] = true
                count += 1
                sum = (sum.0 + p.0, sum.1 + p.1, sum.2 + p.2)
                (minX, minY, maxX, maxY) = (Swift.min(minX, x), Swift.min(minY, y), Swift.max(maxX, x), Swift.max(maxY, y))
            }
        }
        guard count >= 6 else { return Reading(color: "none", kind: nil) }
        let mean = (sum.0 / count, sum.1 / count, sum.2 / count)
        let color = palette.min { distance($0.rgb, mean) < distance($1.rgb, mean) }!.name
        let boxArea = Double((maxX - minX + 1) * (maxY - minY + 1))
        let fill = Double(count) / boxArea
        let centre = mask[((minY + maxY) / 2) * w + (minX + maxX) / 2]
        let kind: Kind
        if !centre { kind = .ring } else if fill > 0.9 { kind = .square } else if fill > 0.64 { kind = .circle } else { kind = .triangle }
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
