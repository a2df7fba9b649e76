/// Qwen2's normalisation (NFC) and pre-tokenisation, a hand-written scanner equivalent to the
/// split regex of transformers' `Qwen2Tokenizer` (used with `tokenizers`' "isolated" behaviour,
/// so every scalar lands in exactly one piece):
///
///     (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
///
/// At each position the first alternative that matches wins (backtracking semantics), which the
/// branches below follow in order.
struct Qwen2TextSplitter: TextSplitter {
    func normalize(_ scalars: ArraySlice<Unicode.Scalar>) -> [Unicode.Scalar] {
        Array(scalars).nfc()
    }

    func split(_ scalars: [Unicode.Scalar], classes: [UnicodeClass], range: Range<Int>, into pieces: inout [Range<Int>]) {
        let end = range.upperBound
        var start = range.lowerBound
        while start < end {
            let length = pieceLength(scalars, classes, at: start, end: end)
            pieces.append(start..<(start + length))
            start += length
        }
    }

    private func pieceLength(_ s: [Unicode.Scalar], _ c: [UnicodeClass], at i: Int, end: Int) -> Int {
        // (?i:'s|'t|'re|'ve|'m|'ll|'d)
        if s[i] == "'", let length = contractionLength(s, at: i, end: end) { return length }

        // [^\r\n\p{L}\p{N}]?\p{L}+
        if c[i] == .letter { return letterRun(c, from: i + 1, end: end) - i }
        if c[i] != .newline, c[i] != .number, i + 1 < end, c[i + 1] == .letter {
            return letterRun(c, from: i + 2, end: end) - i
        }

        // \p{N}
        if c[i] == .number { return 1 }

        //  ?[^\s\p{L}\p{N}]+[\r\n]*
        let punctuationStart = (s[i] == " " && i + 1 < end && c[i + 1].isOther) ? i + 1 : i
        if c[punctuationStart].isOther {
            var j = punctuationStart + 1
            while j < end, c[j].isOther { j += 1 }
            while j < end, c[j] == .newline { j += 1 }
            return j - i
        }

        // Only white space is left at i. Its run is s[i..<runEnd].
        var runEnd = i + 1
        while runEnd < end, c[runEnd].isWhitespace { runEnd += 1 }
        // \s*[\r\n]+ : up to and including the run's last CR/LF (\s* backtracks to it).
        if let lastNewline = (i..<runEnd).last(where: { c[$0] == .newline }) { return lastNewline + 1 - i }
        // \s+(?!\S) : the whole run at the end of the text, else all but its last scalar
        // (which then starts the next piece, e.g. " word").
        if runEnd == end { return runEnd - i }
        if runEnd - i >= 2 { return runEnd - 1 - i }
        // \s+
        return runEnd - i
    }

    /// The length of a contraction at `i` (an apostrophe), or nil. Case-insensitive as in
    /// Oniguruma, whose case folding also lets `ſ` (U+017F, long s) match `s`.
    private func contractionLength(_ s: [Unicode.Scalar], at i: Int, end: Int) -> Int? {
        guard i + 1 < end else { return nil }
        let first = folded(s[i + 1])
        if first == "s" || first == "t" || first == "m" || first == "d" { return 2 }
        guard i + 2 < end else { return nil }
        let second = folded(s[i + 2])
        switch (first, second) {
        case ("r", "e"), ("v", "e"), ("l", "l"): return 3
        default: return nil
        }
    }

    private func folded(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        switch scalar.value {
        case 0x41...0x5A: return Unicode.Scalar(scalar.value + 0x20)!
        case 0x17F: return "s"
        default: return scalar
        }
    }

    private func letterRun(_ c: [UnicodeClass], from start: Int, end: Int) -> Int {
        var j = start
        while j < end, c[j] == .letter { j += 1 }
        return j
    }
}
