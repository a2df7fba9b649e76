/// The Huffman codes of one dynamic deflate block and their RFC 1951 §3.2.7 header.
struct DeflateDynamicCode {
    let literalLengths: [UInt8]
    let literalCodes: [UInt16]
    let distanceLengths: [UInt8]
    let distanceCodes: [UInt16]
    /// HLIT + 257 and HDIST + 1: how many lengths the header sends.
    private let literalCount: Int
    private let distanceCount: Int
    /// The run-length coded code lengths: (code-length symbol 0...18, value of its extra bits).
    private let codeLengthSymbols: [(symbol: Int, extra: Int)]
    private let codeLengthLengths: [UInt8]
    private let codeLengthCodes: [UInt16]
    /// HCLEN + 4.
    private let codeLengthCount: Int
    /// Size of the header after the 3 block-type bits.
    let headerBits: Int

    init(literalFrequencies: [Int], distanceFrequencies: [Int]) {
        literalLengths = HuffmanCodeBuilder.lengths(for: literalFrequencies, maxLength: 15)
        distanceLengths = HuffmanCodeBuilder.lengths(for: distanceFrequencies, maxLength: 15)
        literalCodes = HuffmanCodeBuilder.reversedCodes(for: literalLengths)
        distanceCodes = HuffmanCodeBuilder.reversedCodes(for: distanceLengths)
        literalCount = max(257, (literalLengths.lastIndex { $0 != 0 } ?? 0) + 1)
        distanceCount = max(1, (distanceLengths.lastIndex { $0 != 0 } ?? 0) + 1)

        // Run-length code the concatenated lengths (runs may cross from literals to distances).
        let all = Array(literalLengths[0..<literalCount]) + Array(distanceLengths[0..<distanceCount])
        var symbols: [(symbol: Int, extra: Int)] = []
        var i = 0
        while i < all.count {
            let value = Int(all[i])
            var run = 1
            while i + run < all.count && all[i + run] == all[i] { run += 1 }
            i += run
            if value == 0 {
                while run >= 11 {
                    let k = min(run, 138)
                    symbols.append((18, k - 11))
                    run -= k
                }
                if run >= 3 {
                    symbols.append((17, run - 3))
                    run = 0
                }
            } else {
                symbols.append((value, 0))
                run -= 1
                while run >= 3 {
                    let k = min(run, 6)
                    symbols.append((16, k - 3))
                    run -= k
                }
            }
            for _ in 0..<run { symbols.append((value, 0)) }
        }
        codeLengthSymbols = symbols
        var frequencies = [Int](repeating: 0, count: 19)
        for s in symbols { frequencies[s.symbol] += 1 }
        codeLengthLengths = HuffmanCodeBuilder.lengths(for: frequencies, maxLength: 7)
        codeLengthCodes = HuffmanCodeBuilder.reversedCodes(for: codeLengthLengths)
        var count = 19
        while count > 4 && codeLengthLengths[DeflateTables.codeLengthOrder[count - 1]] == 0 { count -= 1 }
        codeLengthCount = count

        var bits = 5 + 5 + 4 + 3 * count
        for s in symbols {
            bits += Int(codeLengthLengths[s.symbol])
            bits += s.symbol == 16 ? 2 : s.symbol == 17 ? 3 : s.symbol == 18 ? 7 : 0
        }
        headerBits = bits
    }

    /// Bits of the Huffman codes (without extra bits) for these frequencies.
    func bodyBits(_ literalFrequencies: [Int], _ distanceFrequencies: [Int]) -> Int {
        var bits = 0
        for (s, f) in literalFrequencies.enumerated() { bits += f * Int(literalLengths[s]) }
        for (s, f) in distanceFrequencies.enumerated() { bits += f * Int(distanceLengths[s]) }
        return bits
    }

    func writeHeader(_ writer: inout DeflateBitWriter) {
        writer.write(UInt32(literalCount - 257), 5)
        writer.write(UInt32(distanceCount - 1), 5)
        writer.write(UInt32(codeLengthCount - 4), 4)
        for i in 0..<codeLengthCount {
            writer.write(UInt32(codeLengthLengths[DeflateTables.codeLengthOrder[i]]), 3)
        }
        for s in codeLengthSymbols {
            writer.write(UInt32(codeLengthCodes[s.symbol]), Int(codeLengthLengths[s.symbol]))
            switch s.symbol {
            case 16: writer.write(UInt32(s.extra), 2)
            case 17: writer.write(UInt32(s.extra), 3)
            case 18: writer.write(UInt32(s.extra), 7)
            default: break
            }
        }
    }
}
