/// CLIP's normalisation and pre-tokenisation, as transformers' `CLIPTokenizer` (the
/// `tokenizers`-backed one of transformers 5, identical to the 4.x `CLIPTokenizerFast`) sets them up.
///
/// Normalisation: NFC, every white-space run to one space, lower-casing scalar by scalar (full
/// Unicode mappings such as `İ` -> `i̇`, but no final-sigma rule). Splitting keeps the matches of
///
///     <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
///
/// and drops the white space between them. The pipeline then runs a byte-level pre-tokenizer
/// with GPT-2's pattern over each piece; on these pieces that pattern changes nothing except the
/// two special-token literals, which it cuts into `<|`, the word and `|>`. So a special token
/// written in the text is only one token when it is matched as an added token first.
struct CLIPTextSplitter: TextSplitter {
    private static let specialLiterals: [[Unicode.Scalar]] = ["<|startoftext|>", "<|endoftext|>"].map { Array($0.unicodeScalars) }

    func normalize(_ scalars: ArraySlice<Unicode.Scalar>) -> [Unicode.Scalar] {
        var output: [Unicode.Scalar] = []
        output.reserveCapacity(scalars.count)
        var inSpace = false
        for scalar in Array(scalars).nfc() {
            if UnicodeClass.of(scalar).isWhitespace {
                if !inSpace { output.append(" ") }
                inSpace = true
                continue
            }
            inSpace = false
            if scalar.value < 0x80 {
                output.append(scalar.value >= 0x41 && scalar.value <= 0x5A ? Unicode.Scalar(scalar.value + 0x20)! : scalar)
            } else {
                output.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return output
    }

    func split(_ scalars: [Unicode.Scalar], classes c: [UnicodeClass], range: Range<Int>, into pieces: inout [Range<Int>]) {
        let end = range.upperBound
        var i = range.lowerBound
        while i < end {
            if c[i].isWhitespace {
                i += 1
                continue
            }
            if scalars[i] == "<", let literal = Self.specialLiterals.first(where: { matches($0, scalars, at: i, end: end) }) {
                let literalEnd = i + literal.count
                pieces.append(i..<(i + 2))
                pieces.append((i + 2)..<(literalEnd - 2))
                pieces.append((literalEnd - 2)..<literalEnd)
                i = literalEnd
                continue
            }
            let length: Int
            if scalars[i] == "'", let contraction = contractionLength(scalars, at: i, end: end) {
                length = contraction
            } else if c[i] == .letter {
                var j = i + 1
                while j < end, c[j] == .letter { j += 1 }
                length = j - i
            } else if c[i] == .number {
                length = 1
            } else {
                var j = i + 1
                while j < end, c[j].isOther { j += 1 }
                length = j - i
            }
            pieces.append(i..<(i + length))
            i += length
        }
    }

    private func matches(_ literal: [Unicode.Scalar], _ scalars: [Unicode.Scalar], at start: Int, end: Int) -> Bool {
        guard start + literal.count <= end else { return false }
        for (offset, scalar) in literal.enumerated() where scalars[start + offset] != scalar { return false }
        return true
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d`, case-sensitive (the text is already lower-cased).
    private func contractionLength(_ s: [Unicode.Scalar], at i: Int, end: Int) -> Int? {
        guard i + 1 < end else { return nil }
        switch s[i + 1] {
        case "s", "t", "m", "d": return 2
        case "r", "v": return i + 2 < end && s[i + 2] == "e" ? 3 : nil
        case "l": return i + 2 < end && s[i + 2] == "l" ? 3 : nil
        default: return nil
        }
    }
}
