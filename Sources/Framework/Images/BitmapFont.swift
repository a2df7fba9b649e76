/// A 3×5-pixel font drawn at 2× (6×10 screen pixels a glyph; 8 pixels a character by default), so
/// plots and grids carry labels without font files. Letters are lower case; upper case is drawn as
/// lower case; characters without a glyph are left blank.
public enum BitmapFont {
    /// Height of a line of text, with spacing.
    public static let lineHeight = 12

    static let glyphs: [Character: [String]] = [
        "0": ["111", "101", "101", "101", "111"], "1": ["010", "110", "010", "010", "111"], "2": ["111", "001", "111", "100", "111"],
        "3": ["111", "001", "111", "001", "111"], "4": ["101", "101", "111", "001", "001"], "5": ["111", "100", "111", "001", "111"],
        "6": ["111", "100", "111", "101", "111"], "7": ["111", "001", "010", "010", "010"], "8": ["111", "101", "111", "101", "111"],
        "9": ["111", "101", "111", "001", "111"], "-": ["000", "000", "111", "000", "000"], ".": ["000", "000", "000", "000", "010"],
        "(": ["010", "100", "100", "100", "010"], ")": ["010", "001", "001", "001", "010"], "/": ["001", "001", "010", "100", "100"],
        ",": ["000", "000", "000", "010", "100"], ":": ["000", "010", "000", "010", "000"], "%": ["101", "001", "010", "100", "101"],
        "a": ["000", "011", "101", "101", "011"], "b": ["100", "110", "101", "101", "110"], "c": ["000", "011", "100", "100", "011"],
        "d": ["001", "011", "101", "101", "011"], "e": ["000", "111", "111", "100", "111"], "f": ["011", "100", "110", "100", "100"],
        "g": ["011", "101", "011", "001", "110"], "h": ["100", "110", "101", "101", "101"], "i": ["010", "000", "010", "010", "010"],
        "j": ["001", "000", "001", "101", "010"], "k": ["100", "101", "110", "101", "101"], "l": ["010", "010", "010", "010", "011"],
        "m": ["000", "111", "111", "101", "101"], "n": ["000", "110", "101", "101", "101"], "o": ["000", "111", "101", "101", "111"],
        "p": ["000", "111", "101", "111", "100"], "q": ["000", "111", "101", "111", "001"], "r": ["000", "011", "100", "100", "100"],
        "s": ["000", "111", "110", "011", "111"], "t": ["010", "111", "010", "010", "011"], "u": ["000", "101", "101", "101", "111"],
        "v": ["000", "101", "101", "101", "010"], "w": ["000", "101", "101", "111", "111"], "x": ["000", "101", "010", "010", "101"],
        "y": ["000", "101", "011", "001", "110"], "z": ["000", "111", "001", "010", "111"],
    ]

    /// Draws `text` with its top-left corner at (`x0`, `y0`) through `set`, `advance` pixels a character.
    public static func draw(_ text: String, atX x0: Int, y y0: Int, color: (UInt8, UInt8, UInt8) = (0, 0, 0), advance: Int = 8,
                            set: (Int, Int, (UInt8, UInt8, UInt8)) -> Void) {
        for (k, character) in text.lowercased().enumerated() {
            guard let rows = glyphs[character] else { continue }
            for (r, row) in rows.enumerated() {
                for (c, bit) in row.enumerated() where bit == "1" {
                    for dy in 0..<2 { for dx in 0..<2 { set(x0 + k * advance + c * 2 + dx, y0 + r * 2 + dy, color) } }
                }
            }
        }
    }
}

extension BitmapFont {
    /// `text` broken at spaces into lines of at most `width` characters (a longer word keeps its own line).
    public static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        for word in text.split(separator: " ").map(String.init) {
            if let last = lines.last, last.count + 1 + word.count <= width { lines[lines.count - 1] = last + " " + word } else { lines.append(word) }
        }
        return lines
    }
}
