/// SentencePiece's `precompiled_charsmap`: the normalisation rules of a SentencePiece model
/// (`nmt_nfkc` for T5) compiled into a Darts double-array trie over UTF-8 bytes plus a blob of
/// NUL-terminated replacement strings. `tokenizers` calls it the `Precompiled` normaliser.
///
/// Written by hand because nothing on Debian or in Swift reads this format; it follows Hugging
/// Face's `spm_precompiled` crate (what `tokenizers`, hence transformers, runs), not
/// SentencePiece's own `normalizer.cc`. The two differ on purpose-free details that change ids:
///
/// * the text is cut into extended grapheme clusters; a cluster shorter than 6 UTF-8 bytes is
///   looked up whole, anything else (or a cluster with no rule) scalar by scalar;
/// * a lookup takes the *shortest* rule that is a prefix of the cluster, and the rest of the
///   cluster is dropped: full-width `Ａ` + U+0301 becomes `A` (SentencePiece, which takes the
///   longest match over the whole text, gives `Á`).
///
/// Layout: a little-endian `UInt32` byte count of the trie, the trie's `UInt32` units, then the
/// replacement strings.
struct PrecompiledCharsMap: Sendable {
    private let units: [UInt32]
    private let replacements: [UInt8]

    /// Reads a charsmap blob; `path` and `entry` name it in errors.
    init(_ blob: [UInt8], path: String, entry: String) throws {
        guard blob.count >= 4 else {
            throw TokenizerError.invalidEntry(path: path, entry: entry, reason: "\(blob.count) bytes is too short for a precompiled charsmap")
        }
        let trieBytes = Int(blob[0]) | Int(blob[1]) << 8 | Int(blob[2]) << 16 | Int(blob[3]) << 24
        guard trieBytes % 4 == 0, trieBytes >= 4, 4 + trieBytes <= blob.count else {
            throw TokenizerError.invalidEntry(path: path, entry: entry,
                                              reason: "trie size \(trieBytes) does not fit the \(blob.count)-byte charsmap")
        }
        var units = [UInt32](repeating: 0, count: trieBytes / 4)
        for index in units.indices {
            let base = 4 + index * 4
            units[index] = UInt32(blob[base]) | UInt32(blob[base + 1]) << 8 | UInt32(blob[base + 2]) << 16 | UInt32(blob[base + 3]) << 24
        }
        let replacements = Array(blob[(4 + trieBytes)...])
        // spm_precompiled refuses the whole charsmap when the strings are not UTF-8.
        guard String(validating: replacements, as: UTF8.self) != nil else {
            throw TokenizerError.invalidEntry(path: path, entry: entry, reason: "the replacement strings are not valid UTF-8")
        }
        self.units = units
        self.replacements = replacements
    }

    /// The normalised form of `text` (one stretch between added tokens).
    func normalize(_ text: String) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count + 8)
        var bytes: [UInt8] = []
        for character in text {
            bytes.removeAll(keepingCapacity: true)
            bytes.append(contentsOf: character.utf8)
            if bytes.count < 6, let replacement = replacement(for: bytes[...]) {
                output.append(contentsOf: replacement)
                continue
            }
            for scalar in character.unicodeScalars {
                let start = bytes.count
                UTF8.encode(scalar) { bytes.append($0) }
                if let replacement = replacement(for: bytes[start...]) {
                    output.append(contentsOf: replacement)
                } else {
                    output.append(contentsOf: bytes[start...])
                }
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The replacement of the shortest rule that is a prefix of `key`, nil when none is.
    func replacement(for key: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        // An offset at the very end is an empty replacement, as in spm_precompiled.
        guard let start = firstPrefixValue(key), start <= replacements.count else { return nil }
        let end = replacements[start...].firstIndex(of: 0) ?? replacements.count
        return replacements[start..<end]
    }

    /// Darts' common-prefix search, stopped at its first hit (what spm_precompiled uses). The
    /// walk stops at a NUL byte, as Darts does; a unit outside the array ends it instead of
    /// crashing on a corrupt file.
    private func firstPrefixValue(_ key: ArraySlice<UInt8>) -> Int? {
        guard let root = units.first else { return nil }
        var node = Self.offset(root)
        for byte in key {
            if byte == 0 { return nil }
            node ^= Int(byte)
            guard node < units.count else { return nil }
            let unit = units[node]
            guard Self.label(unit) == UInt32(byte) else { return nil }
            node ^= Self.offset(unit)
            if Self.hasLeaf(unit) {
                guard node < units.count else { return nil }
                return Int(units[node] & 0x7FFF_FFFF)
            }
        }
        return nil
    }

    // The bit fields of a Darts unit.
    private static func hasLeaf(_ unit: UInt32) -> Bool { (unit >> 8) & 1 == 1 }
    private static func label(_ unit: UInt32) -> UInt32 { unit & (1 << 31 | 0xFF) }
    private static func offset(_ unit: UInt32) -> Int { Int(unit >> 10) << Int((unit & (1 << 9)) >> 6) }
}
