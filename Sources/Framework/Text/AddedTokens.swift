/// A token found in the text by exact match before pre-tokenisation: special tokens such as
/// `<|im_start|>`, and added ordinary ones such as Qwen's `<tool_call>`. The flags mean what they
/// mean in `tokenizers`' `AddedToken`.
struct AddedToken: Sendable, Equatable {
    var id: Int
    var content: String
    /// Dropped by `decode(_:skipSpecialTokens: true)`.
    var special: Bool
    /// Matched in the normalised text (after CLIP's lower-casing, say) instead of the raw text.
    var normalized: Bool
    /// The match swallows the white space before it.
    var leftStrip: Bool = false
    /// The match swallows the white space after it.
    var rightStrip: Bool = false
}

/// One stretch of text as split around added tokens.
enum AddedTokenSegment {
    /// Scalars with no added token in them.
    case text(Range<Int>)
    /// An added token's id.
    case token(Int)
}

/// Finds added tokens in text, leftmost-longest as `tokenizers` does (its Aho-Corasick matcher
/// uses `MatchKind::LeftmostLongest`): the earliest position where any token starts wins, and
/// the longest token starting there.
///
/// A trie over Unicode scalars; scanning only descends it at scalars that begin some token, so
/// ordinary text costs one set lookup per scalar.
struct AddedTokenMatcher: Sendable {
    private struct Node: Sendable {
        var children: [UInt32: Int32] = [:]
        /// Index into `tokens`, -1 when no token ends here.
        var token: Int32 = -1
    }

    private var nodes = [Node()]
    private var tokens: [AddedToken] = []
    private var firstScalars = Set<UInt32>()

    init(_ tokens: [AddedToken]) {
        for token in tokens where !token.content.isEmpty {
            var node = 0
            for scalar in token.content.unicodeScalars {
                if let child = nodes[node].children[scalar.value] {
                    node = Int(child)
                } else {
                    nodes.append(Node())
                    nodes[node].children[scalar.value] = Int32(nodes.count - 1)
                    node = nodes.count - 1
                }
            }
            nodes[node].token = Int32(self.tokens.count)
            self.tokens.append(token)
            firstScalars.insert(token.content.unicodeScalars.first!.value)
        }
    }

    var isEmpty: Bool { tokens.isEmpty }

    /// Calls `body` with the text stretches and tokens of `scalars[range]`, in order. Stretches
    /// are never empty; white space swallowed by a stripping token is in neither.
    func split(_ scalars: [Unicode.Scalar], range: Range<Int>, _ body: (AddedTokenSegment) -> Void) {
        if tokens.isEmpty {
            if !range.isEmpty { body(.text(range)) }
            return
        }
        var textStart = range.lowerBound
        var position = range.lowerBound
        while position < range.upperBound {
            guard firstScalars.contains(scalars[position].value), let (token, end) = longestMatch(scalars, at: position, limit: range.upperBound) else {
                position += 1
                continue
            }
            var matchStart = position
            var matchEnd = end
            if token.leftStrip {
                while matchStart > textStart, UnicodeClass.of(scalars[matchStart - 1]).isWhitespace { matchStart -= 1 }
            }
            if token.rightStrip {
                while matchEnd < range.upperBound, UnicodeClass.of(scalars[matchEnd]).isWhitespace { matchEnd += 1 }
            }
            if matchStart > textStart { body(.text(textStart..<matchStart)) }
            body(.token(token.id))
            textStart = matchEnd
            position = matchEnd
        }
        if textStart < range.upperBound { body(.text(textStart..<range.upperBound)) }
    }

    private func longestMatch(_ scalars: [Unicode.Scalar], at start: Int, limit: Int) -> (AddedToken, Int)? {
        var node = 0
        var best: (AddedToken, Int)?
        var position = start
        while position < limit, let child = nodes[node].children[scalars[position].value] {
            node = Int(child)
            position += 1
            if nodes[node].token >= 0 { best = (tokens[Int(nodes[node].token)], position) }
        }
        return best
    }
}
