import Testing
@testable import DiffSynth

@Suite("BF16/F16 conversion matches PyTorch")
struct ReducedPrecisionTests {
    struct File: Decodable { let float32_bits: [Int32]; let bfloat16_bits: [UInt16]; let float16_bits: [UInt16] }

    @Test("narrowing rounds like tensor.bfloat16() and tensor.half(); widening is exact")
    func rounding() throws {
        let f = try Fixtures.decode(File.self, "ops/precision.json")
        for (i, bits) in f.float32_bits.enumerated() {
            let x = Float(bitPattern: UInt32(bitPattern: bits))
            #expect(ReducedPrecision.bfloat16Bits(x) == f.bfloat16_bits[i], "bf16 of \(x)")
            #expect(ReducedPrecision.float16Bits(x) == f.float16_bits[i], "f16 of \(x)")
            let wide = ReducedPrecision.float(bfloat16Bits: f.bfloat16_bits[i])
            #expect(ReducedPrecision.bfloat16Bits(wide) == f.bfloat16_bits[i])
        }
        #expect(ReducedPrecision.bfloat16Bits(.nan) & 0x7FC0 == 0x7FC0)
    }
}
