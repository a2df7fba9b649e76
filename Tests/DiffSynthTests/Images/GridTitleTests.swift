import Testing
@testable import DiffSynth

@Suite("Grid titles")
struct GridTitleTests {
    @Test("titles wrap at spaces, take a header and a margin, and leave the cells as they were")
    func titledGrid() {
        #expect(BitmapFont.wrap("a small black ring in the center on a purple background", width: 23)
                == ["a small black ring in", "the center on a purple", "background"])
        #expect(BitmapFont.wrap("unbreakable-word-longer-than-the-line", width: 5) == ["unbreakable-word-longer-than-the-line"])
        let red = RGBImage(width: 4, height: 3, pixels: Array(repeating: [200, 0, 0], count: 12).flatMap { $0 })
        let plain = RGBImage.grid([[red, red]])
        let titled = RGBImage.grid([[red, red]], columnTitles: [["a"], ["b", "c"]], rowTitles: ["row one"])
        let top = 2 * BitmapFont.lineHeight + 4, left = RGBImage.gridRowTitleWidth
        #expect(titled.width == plain.width + left && titled.height == plain.height + top)
        // Every cell pixel is where the untitled grid had it, shifted by the margin and header.
        for y in 0..<plain.height {
            for x in 0..<plain.width {
                let a = (y * plain.width + x) * 3, b = ((y + top) * titled.width + x + left) * 3
                #expect(plain.pixels[a..<(a + 3)] == titled.pixels[b..<(b + 3)], "pixel \(x),\(y)")
            }
        }
        // Something was drawn in the header and in the margin (black text on white).
        #expect(titled.pixels[0..<(top * titled.width * 3)].contains(0))
        #expect((top..<titled.height).contains { y in (0..<left).contains { titled.pixels[(y * titled.width + $0) * 3] == 0 } })
    }
}
