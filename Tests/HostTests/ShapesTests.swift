import DiffSynth
import Foundation
import Testing
@testable import Host

@Suite("The embedded default's shapes world")
struct ShapesTests {
    @Test("the automatic reader recognises colour and shape of every generated picture")
    func readerOnGroundTruth() {
        var correct = 0
        for index in 0..<400 {
            let scene = Shapes.scene(seed: 1, index: index)
            if Shapes.adheres(Shapes.render(scene, side: 64), to: scene) { correct += 1 }
        }
        #expect(correct == 400, "\(correct)/400")
    }

    /// A small VAE's decodes are blurry; the reader must still read them. (The embedded VAE's
    /// reconstructions of 400 training pictures read 92 % correctly, Tools/embedded/check_vae.py.)
    @Test("the reader still reads pictures blurred twice by a 3×3 box (≥ 97 %)")
    func readerOnBlurred() {
        func blurred(_ image: RGBImage) -> RGBImage {
            var pixels = image.pixels
            let (w, h) = (image.width, image.height)
            for _ in 0..<2 {
                for axis in 0..<2 {
                    let source = pixels
                    for y in 0..<h {
                        for x in 0..<w {
                            for c in 0..<3 {
                                var total = 0
                                for d in -1...1 {
                                    let (sx, sy) = axis == 0 ? (min(max(x + d, 0), w - 1), y) : (x, min(max(y + d, 0), h - 1))
                                    total += Int(source[(sy * w + sx) * 3 + c])
                                }
                                pixels[(y * w + x) * 3 + c] = UInt8((Double(total) / 3).rounded())
                            }
                        }
                    }
                }
            }
            return RGBImage(width: w, height: h, pixels: pixels)
        }
        var correct = 0
        for index in 0..<400 {
            let scene = Shapes.scene(seed: 1, index: index)
            if Shapes.adheres(blurred(Shapes.render(scene, side: 64)), to: scene) { correct += 1 }
        }
        #expect(correct >= 388, "\(correct)/400")
    }

    @Test("the reader fails pictures that show something else")
    func readerRejects() {
        let scene = Shapes.scene(seed: 1, index: 0)
        var other = scene
        other.kind = Shapes.Kind.allCases.first { $0 != scene.kind }!
        #expect(!Shapes.adheres(Shapes.render(other, side: 64), to: scene))
        other = scene
        other.color = (scene.color + 1) % Shapes.palette.count == scene.background ? (scene.color + 2) % Shapes.palette.count : (scene.color + 1) % Shapes.palette.count
        #expect(!Shapes.adheres(Shapes.render(other, side: 64), to: scene))
        let blank = RGBImage(width: 64, height: 64, pixels: [UInt8](repeating: 128, count: 64 * 64 * 3))
        #expect(!Shapes.adheres(blank, to: scene))
    }

    @Test("scenes are deterministic, varied, and captions parse back")
    func scenes() {
        let a = (0..<50).map { Shapes.scene(seed: 3, index: $0) }
        #expect(a == (0..<50).map { Shapes.scene(seed: 3, index: $0) })
        #expect(Set(a.map(\.kind)).count == 4 && Set(a.map(\.color)).count >= 6)
        #expect(a.allSatisfy { $0.color != $0.background })
        #expect(a.allSatisfy { Shapes.scene(caption: $0.caption) == $0 })
    }
}
