import Foundation

/// The character classes the tokenizers' split patterns are written in, with the meaning that the
/// reference regex engine (Oniguruma, inside Hugging Face `tokenizers`) gives them:
/// `\p{L}` = general category L*, `\p{N}` = N* (Nd, Nl, No), `\s` = the White_Space property
/// (U+0009–U+000D, U+0085, Zs, Zl, Zp; not U+001C–U+001F, which Python's `str.isspace` counts).
enum UnicodeClass: UInt8 {
    case letter
    case number
    /// White space other than CR and LF.
    case space
    /// CR or LF, which the Qwen pattern treats apart from other white space.
    case newline
    /// Everything else: punctuation, symbols, marks, controls, emoji, format characters.
    case other

    /// The class of one scalar, with an ASCII fast path (most prompt text is ASCII).
    @inline(__always)
    static func of(_ scalar: Unicode.Scalar) -> UnicodeClass {
        let value = scalar.value
        if value < 0x80 { return asciiClasses[Int(value)] }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        default:
            return scalar.properties.isWhitespace ? .space : .other
        }
    }

    /// The classes of every scalar, computed once so the pattern scanners can look back and ahead cheaply.
    static func classify(_ scalars: [Unicode.Scalar]) -> [UnicodeClass] {
        scalars.map(of)
    }

    private static let asciiClasses: [UnicodeClass] = (0..<128).map { value in
        switch value {
        case 0x0A, 0x0D: return .newline
        case 0x09, 0x0B, 0x0C, 0x20: return .space
        case 0x30...0x39: return .number
        case 0x41...0x5A, 0x61...0x7A: return .letter
        default: return .other
        }
    }

    /// `\s`.
    var isWhitespace: Bool { self == .space || self == .newline }
    /// `[^\s\p{L}\p{N}]`.
    var isOther: Bool { self == .other }
}

extension Array where Element == Unicode.Scalar {
    /// The scalars in Unicode Normalization Form C.
    ///
    /// Text made only of scalars below U+0300 (the first combining mark) is already in NFC, which
    /// skips the Foundation round trip for plain Latin text.
    func nfc() -> [Unicode.Scalar] {
        if allSatisfy({ $0.value < 0x300 }) { return self }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: self)
        return Array(String(view).precomposedStringWithCanonicalMapping.unicodeScalars)
    }
}
