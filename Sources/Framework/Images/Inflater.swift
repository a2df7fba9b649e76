import Foundation

/// A zlib (RFC 1950) / raw deflate (RFC 1951) decompressor in pure Swift: stored, fixed-Huffman
/// and dynamic-Huffman blocks, with every length, distance and code validated so that corrupt
/// input throws instead of reading or writing out of bounds.
///
/// The output is written into one growing buffer (the whole stream is the window), bounded by
/// a caller-supplied limit: a PNG knows exactly how many bytes its image data must inflate to,
/// so a corrupt stream can neither run away nor make us allocate more than that.
enum Inflater {
    /// Decompresses a zlib stream and hands the result to `body` without copying it.
    ///
    /// - Parameters:
    ///   - limit: the most bytes the stream may produce; more is an error.
    ///   - body: receives the decompressed bytes (mutable, so callers can unfilter in place).
    static func withZlibDecompressed<R>(_ input: UnsafeRawBufferPointer, limit: Int,
                                        _ body: (UnsafeMutableBufferPointer<UInt8>) throws -> R) throws -> R {
        guard input.count >= 2, let raw = input.baseAddress else { throw InflateError.truncated }
        let bytes = raw.assumingMemoryBound(to: UInt8.self)
        let cmf = Int(bytes[0]), flg = Int(bytes[1])
        guard cmf & 0x0F == 8, cmf >> 4 <= 7 else {
            throw InflateError.corrupt("not a zlib stream (compression method \(cmf & 0x0F), window \(cmf >> 4))")
        }
        guard (cmf << 8 | flg) % 31 == 0 else { throw InflateError.corrupt("zlib header check bits are wrong") }
        guard flg & 0x20 == 0 else { throw InflateError.corrupt("zlib preset dictionaries are not supported") }

        var output = InflateOutput(limit: limit, initialCapacity: min(limit, max(1 << 16, input.count * 4)))
        defer { output.deallocate() }
        var reader = InflateBitReader(base: bytes, start: 2, end: input.count)
        try inflateBlocks(&reader, &output)

        reader.alignToByte()
        guard let trailer = reader.releaseBuffer(), input.count - trailer >= 4 else { throw InflateError.truncated }
        let stored = UInt32(bytes[trailer]) << 24 | UInt32(bytes[trailer + 1]) << 16
            | UInt32(bytes[trailer + 2]) << 8 | UInt32(bytes[trailer + 3])
        let buffer = UnsafeMutableBufferPointer(start: output.base, count: output.count)
        let computed = Adler32.update(1, UnsafeRawBufferPointer(buffer))
        guard stored == computed else { throw InflateError.checksumMismatch(expected: stored, actual: computed) }
        return try body(buffer)
    }

    /// Convenience for tests and small data: the decompressed bytes of a zlib stream.
    static func zlibDecompress(_ data: [UInt8], limit: Int = 1 << 30) throws -> [UInt8] {
        try data.withUnsafeBytes { try withZlibDecompressed($0, limit: limit) { Array($0) } }
    }

    // MARK: - Blocks

    /// Decodes blocks until the final one; the reader is left just after it.
    static func inflateBlocks(_ reader: inout InflateBitReader, _ output: inout InflateOutput) throws(InflateError) {
        // One arena for all tables: three Huffman tables plus a copy of the length/distance
        // tables, so the hot loop touches only raw pointers (no bounds or lazy-global checks).
        let tableSize = (1 << HuffmanDecodingTable.fastBits) + 16 + 288
        let arena = UnsafeMutablePointer<UInt16>.allocate(capacity: 3 * tableSize + 4 * 32)
        defer { arena.deallocate() }
        func table(_ i: Int) -> HuffmanDecodingTable {
            let start = arena + i * tableSize
            return HuffmanDecodingTable(fast: start, counts: start + (1 << HuffmanDecodingTable.fastBits),
                                        symbols: start + (1 << HuffmanDecodingTable.fastBits) + 16)
        }
        let literals = table(0), distances = table(1), codeLengths = table(2)
        let constants = arena + 3 * tableSize
        let lenBase = constants, lenExtra = constants + 32, distBase = constants + 64, distExtra = constants + 96
        lenBase.initialize(from: DeflateTables.lengthBase, count: 29)
        lenExtra.initialize(from: DeflateTables.lengthExtra, count: 29)
        distBase.initialize(from: DeflateTables.distanceBase, count: 30)
        distExtra.initialize(from: DeflateTables.distanceExtra, count: 30)
        let lengths = UnsafeMutablePointer<UInt8>.allocate(capacity: 288 + 32)
        defer { lengths.deallocate() }

        var final = false
        while !final {
            reader.refill()
            final = reader.read(1) == 1
            let kind = reader.read(2)
            switch kind {
            case 0:
                try copyStored(&reader, &output)
                continue
            case 1:
                for s in 0..<144 { lengths[s] = 8 }
                for s in 144..<256 { lengths[s] = 9 }
                for s in 256..<280 { lengths[s] = 7 }
                for s in 280..<288 { lengths[s] = 8 }
                // All 32 five-bit distance codes, so the code is complete; 30 and 31 are
                // rejected when decoded.
                for s in 0..<32 { lengths[288 + s] = 5 }
                try literals.build(lengths: lengths, count: 288)
                try distances.build(lengths: lengths + 288, count: 32)
            case 2:
                try readDynamicCodes(&reader, literals: literals, distances: distances,
                                     codeLengths: codeLengths, lengths: lengths)
            default:
                throw .corrupt("invalid block type 3")
            }
            if reader.overran { throw .truncated }

            try decodeBody(&reader, &output, literals: literals, distances: distances,
                           lengthBase: lenBase, lengthExtra: lenExtra, distanceBase: distBase, distanceExtra: distExtra)
            if reader.overran { throw .truncated }
        }
    }

    /// The Huffman-coded symbols of one block, up to its end-of-block code.
    ///
    /// The hot loop. It works on local copies of the reader and the output whose addresses never
    /// escape (every helper it calls is inlined or takes values), so the optimiser keeps the bit
    /// buffer and output cursor in registers rather than in memory.
    private static func decodeBody(_ readerState: inout InflateBitReader, _ outputState: inout InflateOutput,
                                   literals: HuffmanDecodingTable, distances: HuffmanDecodingTable,
                                   lengthBase: UnsafePointer<UInt16>, lengthExtra: UnsafePointer<UInt16>,
                                   distanceBase: UnsafePointer<UInt16>, distanceExtra: UnsafePointer<UInt16>) throws(InflateError) {
        var reader = readerState
        var output = outputState
        defer {
            readerState = reader
            outputState = output
        }
        while true {
            // Past the end of the input the reader supplies zeros, which may well decode as
            // literals forever: stop as soon as any of them has been consumed.
            if reader.overran { throw .truncated }
            reader.refill()
            let symbol = try literals.decode(&reader)
            if symbol < 256 {
                try output.append(UInt8(truncatingIfNeeded: symbol))
                continue
            }
            if symbol == 256 { break }
            let lengthIndex = symbol - 257
            guard lengthIndex < 29 else { throw .corrupt("invalid length symbol \(symbol)") }
            // 15 + 5 + 15 + 13 = 48 bits at most since the refill: no refill needed in between.
            let length = Int(lengthBase[lengthIndex]) + reader.take(Int(lengthExtra[lengthIndex]))
            let distanceSymbol = try distances.decode(&reader)
            guard distanceSymbol < 30 else { throw .corrupt("invalid distance symbol \(distanceSymbol)") }
            let distance = Int(distanceBase[distanceSymbol]) + reader.take(Int(distanceExtra[distanceSymbol]))
            guard distance <= output.count else {
                throw .corrupt("distance \(distance) reaches before the start of the data")
            }
            try output.copyMatch(distance: distance, length: length)
        }
    }

    /// A stored block: LEN, NLEN, then LEN raw bytes.
    private static func copyStored(_ reader: inout InflateBitReader, _ output: inout InflateOutput) throws(InflateError) {
        reader.alignToByte()
        let length = reader.read(16)
        let complement = reader.read(16)
        guard length == (~complement & 0xFFFF) else { throw .corrupt("stored block length check failed") }
        guard let start = reader.releaseBuffer() else { throw .truncated }
        guard reader.end - start >= length else { throw .truncated }
        try output.append(reader.base + start, count: length)
        reader.position = start + length
    }

    /// Reads a dynamic block's code definitions (RFC 1951 §3.2.7) and builds both tables.
    private static func readDynamicCodes(_ reader: inout InflateBitReader, literals: HuffmanDecodingTable,
                                         distances: HuffmanDecodingTable, codeLengths: HuffmanDecodingTable,
                                         lengths: UnsafeMutablePointer<UInt8>) throws(InflateError) {
        let literalCount = reader.read(5) + 257
        let distanceCount = reader.read(5) + 1
        let codeLengthCount = reader.read(4) + 4
        guard literalCount <= 286, distanceCount <= 30 else {
            throw .corrupt("too many length or distance symbols (\(literalCount), \(distanceCount))")
        }
        for i in 0..<19 { lengths[i] = 0 }
        for i in 0..<codeLengthCount { lengths[DeflateTables.codeLengthOrder[i]] = UInt8(reader.read(3)) }
        try codeLengths.build(lengths: lengths, count: 19, allowIncomplete: false)

        let total = literalCount + distanceCount
        var i = 0
        while i < total {
            reader.refill()
            let symbol = try codeLengths.decode(&reader)
            if symbol < 16 {
                lengths[i] = UInt8(symbol)
                i += 1
                continue
            }
            let value: UInt8
            let repeatCount: Int
            switch symbol {
            case 16:
                guard i > 0 else { throw .corrupt("repeat of a code length with no previous length") }
                value = lengths[i - 1]
                repeatCount = 3 + reader.read(2)
            case 17:
                value = 0
                repeatCount = 3 + reader.read(3)
            default:
                value = 0
                repeatCount = 11 + reader.read(7)
            }
            guard i + repeatCount <= total else { throw .corrupt("code lengths overflow the alphabet") }
            for _ in 0..<repeatCount {
                lengths[i] = value
                i += 1
            }
            if reader.overran { throw .truncated }
        }
        guard lengths[256] != 0 else { throw .corrupt("block has no end-of-block code") }
        try literals.build(lengths: lengths, count: literalCount)
        // The distance lengths follow the literal ones in the same buffer.
        try distances.build(lengths: lengths + literalCount, count: distanceCount)
    }
}

/// The growing output buffer of ``Inflater``; it is also the LZ77 window.
struct InflateOutput {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int
    let limit: Int

    init(limit: Int, initialCapacity: Int) {
        self.limit = limit
        capacity = max(initialCapacity, 1)
        base = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
    }

    func deallocate() { base.deallocate() }

    @inline(__always)
    private mutating func reserve(_ extra: Int) throws(InflateError) {
        (base, capacity) = try Self.grow(base, count: count, capacity: capacity, needed: count + extra, limit: limit)
    }

    /// Out of line and by value, so callers' state stays in registers.
    @inline(never)
    private static func grow(_ base: UnsafeMutablePointer<UInt8>, count: Int, capacity: Int, needed: Int,
                             limit: Int) throws(InflateError) -> (UnsafeMutablePointer<UInt8>, Int) {
        guard needed <= limit else { throw .outputLimitExceeded(limit: limit) }
        let newCapacity = min(limit, max(needed, capacity * 2))
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        grown.update(from: base, count: count)
        base.deallocate()
        return (grown, newCapacity)
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) throws(InflateError) {
        if count == capacity { try reserve(1) }
        base[count] = byte
        count += 1
    }

    @inline(__always)
    mutating func append(_ bytes: UnsafePointer<UInt8>, count n: Int) throws(InflateError) {
        if count + n > capacity { try reserve(n) }
        (base + count).update(from: bytes, count: n)
        count += n
    }

    /// Copies `length` bytes from `distance` back; the regions overlap when distance < length,
    /// which deflate uses for runs, so the short case copies forward byte by byte.
    @inline(__always)
    mutating func copyMatch(distance: Int, length: Int) throws(InflateError) {
        if count + length > capacity { try reserve(length) }
        let dst = base + count
        let src = dst - distance
        if distance >= length {
            dst.update(from: src, count: length)
        } else {
            for i in 0..<length { dst[i] = src[i] }
        }
        count += length
    }
}
