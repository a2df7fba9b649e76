/// What a tokenizer family does to text before BPE: normalisation, then splitting into the
/// pieces ("words") that BPE encodes one at a time. Implemented by hand per family, as a scanner
/// over Unicode scalars equivalent to the family's split regex.
protocol TextSplitter: Sendable {
    /// The normalised scalars of a stretch of text that holds no raw-matched added token.
    func normalize(_ scalars: ArraySlice<Unicode.Scalar>) -> [Unicode.Scalar]

    /// Appends the ranges of the pieces of `scalars[range]` in order. Text between pieces (CLIP's
    /// white space) is dropped.
    func split(_ scalars: [Unicode.Scalar], classes: [UnicodeClass], range: Range<Int>, into pieces: inout [Range<Int>])
}
