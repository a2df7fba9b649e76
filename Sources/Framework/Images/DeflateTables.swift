/// The constant tables of RFC 1951: length and distance codes, and the fixed Huffman code.
enum DeflateTables {
    /// Base match length of length codes 257...285.
    static let lengthBase: [UInt16] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
                                       35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    /// Extra bits of length codes 257...285.
    static let lengthExtra: [UInt16] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
                                        3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    /// Base distance of distance codes 0...29.
    static let distanceBase: [UInt16] = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193,
                                         257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
                                         8193, 12289, 16385, 24577]
    /// Extra bits of distance codes 0...29.
    static let distanceExtra: [UInt16] = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6,
                                          7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
    /// Order in which code-length code lengths are sent (RFC 1951 §3.2.7).
    static let codeLengthOrder: [Int] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    /// Length-code index (0...28) for each match length 0...258 (entries below 3 unused).
    static let lengthIndex: [Int] = {
        var table = [Int](repeating: 0, count: 259)
        for length in 3...258 {
            var i = 28
            while Int(lengthBase[i]) > length { i -= 1 }
            table[length] = i
        }
        return table
    }()

    /// Distance codes of distances 1...256 (index d - 1) and of larger ones by (d - 1) >> 7,
    /// zlib's two-table lookup.
    private static let distanceIndexTables: [UInt8] = {
        func slow(_ d: Int) -> Int {
            var i = 29
            while Int(distanceBase[i]) > d { i -= 1 }
            return i
        }
        var table = [UInt8](repeating: 0, count: 512)
        for d in 1...256 { table[d - 1] = UInt8(slow(d)) }
        for k in 2..<256 { table[256 + k] = UInt8(slow((k << 7) + 1)) }
        return table
    }()

    /// Distance code (0...29) of a distance 1...32768.
    @inline(__always)
    static func distanceIndex(_ distance: Int) -> Int {
        let d = distance - 1
        return Int(d < 256 ? distanceIndexTables[d] : distanceIndexTables[256 + (d >> 7)])
    }

    /// Fixed literal/length code lengths (RFC 1951 §3.2.6); 288 symbols.
    static let fixedLiteralLengths: [UInt8] = (0..<288).map { s in s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8 }
    static let fixedLiteralCodes = HuffmanCodeBuilder.reversedCodes(for: fixedLiteralLengths)
    static let fixedDistanceLengths = [UInt8](repeating: 5, count: 30)
    static let fixedDistanceCodes = HuffmanCodeBuilder.reversedCodes(for: fixedDistanceLengths)
}
