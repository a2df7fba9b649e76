import Foundation
import Testing
@testable import DiffSynth

@Suite("Deflate and inflate (the system zlib)")
struct DeflateTests {
    static func samples() -> [(String, [UInt8])] {
        var random = TestRandom(99)
        let text = Array(String(repeating: "the quick brown fox jumps over the lazy dog; ", count: 2000).utf8)
        return [
            ("empty", []),
            ("one byte", [42]),
            ("zeros", [UInt8](repeating: 0, count: 100_000)),
            ("random", (0..<70_000).map { _ in UInt8(truncatingIfNeeded: random.next()) }),
            ("text", text),
            ("long period", (0..<200_000).map { UInt8(truncatingIfNeeded: ($0 % 40_000) * 7 / 3) }),
            ("mixed", (0..<150_000).map { i in i % 3000 < 1500 ? UInt8(truncatingIfNeeded: random.next()) : UInt8(i % 5) }),
        ]
    }

    @Test("compressing then inflating returns the input, for every kind of data")
    func roundTrip() throws {
        for (name, data) in Self.samples() {
            let compressed = Deflater.zlibCompress(data)
            let restored = try Inflater.zlibDecompress(compressed)
            #expect(restored == data, "\(name)")
        }
    }

    @Test("redundant data really compresses; random data grows by at most a few bytes per 64 KiB")
    func ratio() {
        let samples = Dictionary(uniqueKeysWithValues: Self.samples())
        #expect(Deflater.zlibCompress(samples["zeros"]!).count < 300)
        #expect(Deflater.zlibCompress(samples["text"]!).count < 1000)
        let random = samples["random"]!
        #expect(Deflater.zlibCompress(random).count <= random.count + 32)
    }

    @Test("the output limit, truncation, a bad Adler-32 and a bad header are reported")
    func errors() throws {
        let data = Array(repeating: UInt8(7), count: 5000) + (0..<5000).map { UInt8($0 % 251) }
        let compressed = Deflater.zlibCompress(data)
        #expect(throws: InflateError.outputLimitExceeded(limit: 9999)) { try Inflater.zlibDecompress(compressed, limit: 9999) }
        #expect(throws: InflateError.truncated) { try Inflater.zlibDecompress(Array(compressed.dropLast(5))) }
        var badAdler = compressed
        badAdler[badAdler.count - 1] ^= 0xFF
        #expect(throws: InflateError.self) { try Inflater.zlibDecompress(badAdler) }
        do {
            _ = try Inflater.zlibDecompress(badAdler)
        } catch let error as InflateError {
            guard case .checksumMismatch = error else { Issue.record("expected a checksum error, got \(error)"); return }
        }
        #expect(throws: InflateError.self) { try Inflater.zlibDecompress([0x78, 0x9D] + compressed.dropFirst(2)) }
        // Block type 3 does not exist (zlib's message).
        #expect(throws: InflateError.corrupt("invalid block type")) { try Inflater.zlibDecompress([0x78, 0x9C, 0x07, 0, 0, 0, 0]) }
    }

    @Test("CRC-32 and Adler-32 match known values")
    func checksums() {
        let text = Array("123456789".utf8)
        #expect(CRC32.checksum(text) == 0xCBF4_3926)
        #expect(text.withUnsafeBytes { Adler32.update(1, $0) } == 0x091E_01DE)
        let long = [UInt8](repeating: 0xFF, count: 100_000)
        // Reference values from Python's zlib.crc32 / zlib.adler32.
        #expect(CRC32.checksum(long) == 0x68C6_CEC4)
        #expect(long.withUnsafeBytes { Adler32.update(1, $0) } == 0x149A_302C)
    }
}
