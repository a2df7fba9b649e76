import Foundation

/// A random number generator that reproduces PyTorch's CPU generator bit for bit.
///
/// `TorchGenerator(seed: s)` followed by calls such as `randn(count:)` yields exactly the values of
/// `g = torch.Generator("cpu").manual_seed(s)` followed by the same torch calls (`torch.randn(shape,
/// generator=g)`, …) in the same order, where `count` is the number of elements of `shape`
/// (values in row-major order). Exactness covers the generator state too: calls can be
/// interleaved freely and stay in step with torch.
///
/// The float32 normals reproduce x86-64 torch (the AVX2 kernel, which AVX-512 CPUs also run),
/// where DiffSynth datasets are normally generated, on every platform: the kernel is rebuilt
/// from IEEE float32 operations and fused multiply-adds only. Torch running on aarch64 / Apple
/// Silicon uses a libm-based kernel whose noise differs at the 1e-7 level; that is not
/// reproduced. The algorithm is written up in the project's torch-rng spec (torch-rng.md).
///
/// The generator is a value type: copying it forks the stream (both copies continue
/// identically), which is how torch's `get_state()` / `set_state()` would be used.
public struct TorchGenerator: Sendable {
    /// The seed of a freshly constructed `torch.Generator("cpu")` (torch's `default_rng_seed_val`).
    public static let defaultSeed: UInt64 = 67_280_421_310_721

    /// The seed as given (torch's `initial_seed()`); only its low 32 bits influence the numbers.
    public let initialSeed: UInt64

    private var engine: MersenneTwister
    /// The second value of the last scalar Box–Muller pair (torch's "next double normal sample").
    /// It belongs to the generator, not to a call: the next normal drawn through the scalar path
    /// (a `randn` / `randnDouble` of fewer than 16 elements) returns it without drawing words.
    private var nextDoubleNormal: Double?

    /// Same as `torch.Generator("cpu").manual_seed(seed)`.
    ///
    /// Python seeds are arbitrary ints that torch stores as `uint64`, so a negative seed wraps
    /// modulo 2^64: `manual_seed(-1)` is `TorchGenerator(seed: UInt64(bitPattern: Int64(-1)))`.
    /// Only the low 32 bits seed the Mersenne Twister, so seed 2^32 + 7 gives the numbers of seed 7.
    public init(seed: UInt64) {
        initialSeed = seed
        engine = MersenneTwister(seed: UInt32(truncatingIfNeeded: seed))
        nextDoubleNormal = nil
    }

    /// Same as a fresh `torch.Generator("cpu")`, which is seeded with ``defaultSeed``.
    public init() {
        self.init(seed: Self.defaultSeed)
    }

    // MARK: - Raw words

    /// One 32-bit Mersenne Twister output (torch's `random()`).
    public mutating func nextUInt32() -> UInt32 {
        engine.nextWord()
    }

    /// Two 32-bit outputs combined, the first in the high half (torch's `random64()`).
    public mutating func nextUInt64() -> UInt64 {
        let high = UInt64(engine.nextWord())
        let low = UInt64(engine.nextWord())
        return high << 32 | low
    }

    // MARK: - Distributions

    /// Standard normal float32 values: `torch.randn(shape, generator: g)` for a float32 tensor of
    /// `count` elements.
    ///
    /// With 16 or more elements torch fills the tensor with uniforms and runs a vectorised
    /// Box–Muller over blocks of 16 (consuming `count` words, plus 16 when `count` is not a
    /// multiple of 16). Below 16 it draws each value with the scalar double-precision
    /// Box–Muller, which shares its cached second value with later small calls.
    public mutating func randn(count: Int) -> [Float] {
        precondition(count >= 0, "randn: negative element count \(count)")
        if count >= 16 {
            return Array(unsafeUninitializedCapacity: count) { buffer, initialized in
                Self.normalFill(buffer, engine: &engine)
                initialized = count
            }
        }
        var values = [Float]()
        values.reserveCapacity(count)
        for _ in 0..<count {
            values.append(Float(nextScalarNormal()))
        }
        return values
    }

    /// Standard normal float64 values: `torch.randn(shape, generator: g, dtype: torch.float64)`
    /// for `count` elements.
    ///
    /// Same structure as ``randn(count:)`` (blocks of 16 from `count` ≥ 16, scalar path below),
    /// but every uniform takes two words and the block transform is double-precision libm
    /// `log` / `sin` / `cos`, as in torch's generic (non-SIMD) kernel.
    public mutating func randnDouble(count: Int) -> [Double] {
        precondition(count >= 0, "randnDouble: negative element count \(count)")
        if count >= 16 {
            return Array(unsafeUninitializedCapacity: count) { buffer, initialized in
                Self.normalFill(buffer, engine: &engine)
                initialized = count
            }
        }
        var values = [Double]()
        values.reserveCapacity(count)
        for _ in 0..<count {
            values.append(nextScalarNormal())
        }
        return values
    }

    /// Uniform float32 values in [0, 1): `torch.rand(shape, generator: g)` for `count` elements.
    /// Each value is the low 24 bits of one word times 2^-24.
    public mutating func rand(count: Int) -> [Float] {
        precondition(count >= 0, "rand: negative element count \(count)")
        return Array(unsafeUninitializedCapacity: count) { buffer, initialized in
            Self.fillUniform(buffer, engine: &engine)
            initialized = count
        }
    }

    /// Uniform integers in `low ..< high`: `torch.randint(low, high, shape, generator: g)` (int64)
    /// for `count` elements.
    ///
    /// Like torch, this takes one 32-bit word per value when `high - low` < 2^28 and a 64-bit
    /// draw otherwise, and reduces with a plain modulo (no rejection), keeping torch's small bias.
    /// The 2^28 threshold is that of the open-source builds (`uniform_int_from_to_distribution`
    /// in `ATen/core/DistributionsHelper.h`, checked against torch 2.15); Meta-internal builds
    /// switch at 2^32 instead.
    public mutating func randint(low: Int64, high: Int64, count: Int) -> [Int64] {
        precondition(count >= 0, "randint: negative element count \(count)")
        precondition(low < high, "randint: empty range \(low) ..< \(high)")
        // The range can exceed Int64.max (e.g. Int64.min ..< Int64.max); torch computes it in uint64.
        let range = UInt64(bitPattern: high) &- UInt64(bitPattern: low)
        let base = UInt64(bitPattern: low)
        let wide = range >= (1 << 28)
        return Array(unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count {
                let word = wide ? nextUInt64() : UInt64(engine.nextWord())
                buffer[i] = Int64(bitPattern: word % range &+ base)
            }
            initialized = count
        }
    }

    /// Float32 ``randn(count:)`` with every value rounded to the nearest bfloat16 (ties to even)
    /// and widened back to float32.
    ///
    /// DiffSynth-Studio draws Qwen-Image latent noise as `torch.randn(..., dtype=torch.bfloat16)`.
    /// On torch 2.13 / 2.15 that equals this function whenever `count` is a multiple of 16 (all
    /// latent shapes `(1, 16, h, w)`). For other counts torch's bf16 kernel draws its tail block
    /// differently, and older torch versions used an unrelated bf16 algorithm.
    public mutating func randnRoundedToBFloat16(count: Int) -> [Float] {
        var values = randn(count: count)
        values.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices {
                buffer[i] = ReducedPrecision.roundedToBFloat16(buffer[i])
            }
        }
        return values
    }

    // MARK: - Scalar path (fewer than 16 elements)

    /// One value of torch's `at::normal_distribution<double>` with mean 0 and std 1.
    ///
    /// Note the roles: the first uniform drives the angle and the second the radius, the
    /// opposite of the block kernel. The output goes through `value * std + mean`, which for
    /// randn only turns -0 into +0; `+ 0` keeps that.
    private mutating func nextScalarNormal() -> Double {
        if let cached = nextDoubleNormal {
            nextDoubleNormal = nil
            return cached + 0
        }
        let u1 = Self.uniformDouble(nextUInt64())
        let u2 = Self.uniformDouble(nextUInt64())
        let radius = (-2.0 * log1p(-u2)).squareRoot()
        let theta = 2.0 * Double.pi * u1
        nextDoubleNormal = radius * sin(theta)
        return radius * cos(theta) + 0
    }

    // MARK: - Uniform conversions

    /// The low 24 bits of a word scaled by 2^-24 (exact): torch's float32 uniform in [0, 1).
    @inline(__always)
    private static func uniformFloat(_ word: UInt32) -> Float {
        Float(word & 0x00FF_FFFF) * 0x1p-24
    }

    /// The low 53 bits of a 64-bit draw scaled by 2^-53 (exact): torch's float64 uniform.
    @inline(__always)
    private static func uniformDouble(_ word: UInt64) -> Double {
        Double(word & 0x001F_FFFF_FFFF_FFFF) * 0x1p-53
    }

    private static func fillUniform(_ buffer: UnsafeMutableBufferPointer<Float>, engine: inout MersenneTwister) {
        // Draw the words straight into the output memory, then convert each in place; this avoids
        // a scratch buffer and lets both loops run without per-word bookkeeping.
        buffer.withMemoryRebound(to: UInt32.self) { words in
            engine.fill(words)
            for i in words.indices {
                words[i] = uniformFloat(words[i]).bitPattern
            }
        }
    }

    private static func fillUniform(_ buffer: UnsafeMutableBufferPointer<Double>, engine: inout MersenneTwister) {
        for i in buffer.indices {
            let high = UInt64(engine.nextWord())
            let low = UInt64(engine.nextWord())
            buffer[i] = uniformDouble(high << 32 | low)
        }
    }

    // MARK: - Block path (16 elements or more)

    /// torch's `normal_fill`: uniforms everywhere, Box–Muller on each full block of 16, then — if
    /// the count is not a multiple of 16 — 16 fresh uniforms over the last 16 positions
    /// (overwriting part of the last full block) transformed as one more block.
    private static func normalFill(_ buffer: UnsafeMutableBufferPointer<Float>, engine: inout MersenneTwister) {
        normalFill(buffer, engine: &engine, fill: fillUniform, transform: boxMuller16)
    }

    private static func normalFill(_ buffer: UnsafeMutableBufferPointer<Double>, engine: inout MersenneTwister) {
        normalFill(buffer, engine: &engine, fill: fillUniform, transform: boxMuller16)
    }

    /// The block structure shared by the float32 and float64 paths.
    @inline(__always)
    private static func normalFill<T>(_ buffer: UnsafeMutableBufferPointer<T>, engine: inout MersenneTwister,
                                      fill: (UnsafeMutableBufferPointer<T>, inout MersenneTwister) -> Void,
                                      transform: (UnsafeMutablePointer<T>) -> Void) {
        let count = buffer.count
        guard count >= 16, let base = buffer.baseAddress else { return }
        fill(buffer, &engine)
        var start = 0
        while start + 16 <= count {
            transform(base + start)
            start += 16
        }
        if count % 16 != 0 {
            let tail = base + (count - 16)
            fill(UnsafeMutableBufferPointer(start: tail, count: 16), &engine)
            transform(tail)
        }
    }

    /// Transforms 16 float32 uniforms in place into 16 normals, pairing position j with j + 8:
    /// the AVX2 kernel's exact float32 recipe (spec section 4a), eight lanes at a time like torch.
    @inline(__always)
    private static func boxMuller16(_ d: UnsafeMutablePointer<Float>) {
        let raw = UnsafeMutableRawPointer(d)
        let u1 = 1 - raw.loadUnaligned(as: SIMD8<Float>.self)  // in (0, 1], so the log is finite
        let u2 = raw.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
        // Run the fast fused multiply-add; in the rare block where it could have rounded a tie
        // differently from a true FMA, run the block again with the always-exact one.
        var suspect = CephesFloat.Suspect(repeating: false)
        var (cosine, sine) = CephesFloat.boxMuller(u1, u2, DoubleRoundedFMA.self, &suspect)
        if any(suspect) {
            (cosine, sine) = CephesFloat.boxMuller(u1, u2, RoundToOddFMA.self, &suspect)
        }
        raw.storeBytes(of: cosine, as: SIMD8<Float>.self)
        raw.storeBytes(of: sine, toByteOffset: 32, as: SIMD8<Float>.self)
    }

    /// torch's generic `normal_fill_16` for double: libm `log`, `cos`, `sin`.
    @inline(__always)
    private static func boxMuller16(_ d: UnsafeMutablePointer<Double>) {
        for j in 0..<8 {
            let u1 = 1 - d[j]
            let u2 = d[j + 8]
            let radius = (-2 * log(u1)).squareRoot()
            let theta = 2.0 * Double.pi * u2
            d[j] = radius * cos(theta) + 0
            d[j + 8] = radius * sin(theta) + 0
        }
    }
}

// MARK: - The float32 block kernel

// Internal rather than private so the tests can run the kernel with either multiply-add and
// compare the multiply-adds with `Float.addingProduct`.
extension TorchGenerator {
    /// The float32 Box–Muller of torch's AVX2 normal kernel, with its `log` and `sincos` (Cephes
    /// `logf` / `sinf` / `cosf` as vectorised in `avx_mathfun.h`), on eight lanes like the AVX2
    /// registers.
    ///
    /// Every `fma` here is a multiply-add that GCC fused when building torch (`-ffp-contract=fast`),
    /// read from the `libtorch_cpu.so` disassembly; every other operation is rounded on its own.
    /// Computing them unfused changes about 1 % of the outputs by up to 2 ulp, so the pattern must
    /// stay exactly as written.
    enum CephesFloat {
        typealias F8 = SIMD8<Float>
        typealias U8 = SIMD8<UInt32>
        typealias I8 = SIMD8<Int32>
        /// Lanes where a fast fused multiply-add may have rounded differently from a true FMA.
        typealias Suspect = SIMDMask<SIMD8<Int64>>

        // Constants: float32 roundings of the Cephes constants, as bit patterns. Computed properties
        // rather than stored ones, so they fold into the code instead of going through lazy globals.
        static var twoPi: Float { Float(bitPattern: 0x40C9_0FDB) }
        static var sqrtHalf: Float { Float(bitPattern: 0x3F35_04F3) }
        static var p0: F8 { F8(repeating: Float(bitPattern: 0x3D90_21BB)) }
        static var p1: Float { Float(bitPattern: 0xBDEB_D1B8) }
        static var p2: Float { Float(bitPattern: 0x3DEF_251A) }
        static var p3: Float { Float(bitPattern: 0xBDFE_5D4F) }
        static var p4: Float { Float(bitPattern: 0x3E11_E9BF) }
        static var p5: Float { Float(bitPattern: 0xBE2A_AE50) }
        static var p6: Float { Float(bitPattern: 0x3E4C_CEAC) }
        static var p7: Float { Float(bitPattern: 0xBE7F_FFFC) }
        static var p8: Float { Float(bitPattern: 0x3EAA_AAAA) }
        static var q1: Float { Float(bitPattern: 0xB95E_8083) }
        static var q2: Float { Float(bitPattern: 0x3F31_8000) }
        static var fourOverPi: Float { Float(bitPattern: 0x3FA2_F983) }
        static var minusDP1: Float { Float(bitPattern: 0xBF49_0000) }
        static var minusDP2: Float { Float(bitPattern: 0xB97D_A000) }
        static var minusDP3: F8 { F8(repeating: Float(bitPattern: 0xB322_2169)) }
        static var c0: F8 { F8(repeating: Float(bitPattern: 0x37CC_F5CE)) }
        static var c1: Float { Float(bitPattern: 0xBAB6_061A) }
        static var c2: Float { Float(bitPattern: 0x3D2A_AAA5) }
        static var s0: F8 { F8(repeating: Float(bitPattern: 0xB94C_A1F9)) }
        static var s1: Float { Float(bitPattern: 0x3C08_839E) }
        static var s2: Float { Float(bitPattern: 0xBE2A_AAA3) }

        /// (radius·cos θ + 0, radius·sin θ + 0) with radius = sqrt(−2·log u1), θ = 2π·u2.
        @inline(__always)
        static func boxMuller<FMA: FusedMultiplyAdd8>(
            _ u1: F8, _ u2: F8, _: FMA.Type, _ suspect: inout Suspect
        ) -> (cos: F8, sin: F8) {
            let radius = (log(u1, FMA.self, &suspect) * -2).squareRoot()
            let (sine, cosine) = sincos(twoPi * u2, FMA.self, &suspect)
            // torch stores fma(n, std, mean); with std 1 and mean 0 that is n + 0 (-0 becomes +0).
            return (radius * cosine + 0, radius * sine + 0)
        }

        /// Natural log for x in [2^-24, 1] (no handling of zero, negatives, subnormals or NaN: the
        /// kernel never passes them).
        @inline(__always)
        static func log<FMA: FusedMultiplyAdd8>(_ x: F8, _: FMA.Type, _ suspect: inout Suspect) -> F8 {
            @inline(__always)
            func fma(_ a: F8, _ b: F8, _ c: F8) -> F8 { FMA.fma(a, b, c, &suspect) }
            @inline(__always)
            func fma(_ a: F8, _ b: F8, _ c: Float) -> F8 { FMA.fma(a, b, F8(repeating: c), &suspect) }

            let bits = unsafeBitCast(x, to: U8.self)
            // Split x = m · 2^e with m in [0.5, 1); the biased exponent is below 2^8, so the shifted
            // bits reinterpret as a non-negative Int32.
            var e = F8(unsafeBitCast(bits &>> 23, to: I8.self) &- 127) + 1
            var m = unsafeBitCast((bits & 0x807F_FFFF) | 0x3F00_0000, to: F8.self)
            // For m < sqrt(1/2) use 2m − 1 and e − 1 so the polynomial argument stays in
            // [sqrt(1/2) − 1, sqrt(2) − 1]; (m − 1) + m is exact.
            let small = m .< sqrtHalf
            let zero = F8(repeating: 0)
            let t = zero.replacing(with: m, where: small)
            e = e - zero.replacing(with: 1, where: small)
            m = (m - 1) + t
            let z = m * m
            var y = fma(p0, m, p1)
            y = fma(y, m, p2)
            y = fma(y, m, p3)
            y = fma(y, m, p4)
            y = fma(y, m, p5)
            y = fma(y, m, p6)
            y = fma(y, m, p7)
            y = fma(y, m, p8)
            y = y * m
            y = fma(y, z, e * q1)
            y = y - z * 0.5
            let r = m + y
            // torch fuses this one too, but e·Q2 is exact in float (e is an integer with |e| ≤ 24
            // and Q2 has 9 significant bits), so fused and plain round identically.
            return e * q2 + r
        }

        /// (sin θ, cos θ) for θ in [0, 2π] (the kernel's angles are never negative).
        @inline(__always)
        static func sincos<FMA: FusedMultiplyAdd8>(
            _ theta: F8, _: FMA.Type, _ suspect: inout Suspect
        ) -> (sin: F8, cos: F8) {
            @inline(__always)
            func fma(_ a: F8, _ b: F8, _ c: F8) -> F8 { FMA.fma(a, b, c, &suspect) }
            @inline(__always)
            func fma(_ a: F8, _ b: F8, _ c: Float) -> F8 { FMA.fma(a, b, F8(repeating: c), &suspect) }

            // θ ≥ 0: |θ| is θ and the sine starts positive.
            let a = theta
            let q = a * fourOverPi
            // Octant j = trunc(q), computed without a trapping conversion: adding 2^23 rounds q
            // (< 9) to the nearest integer, which lands in the low significand bits; subtract 1
            // where that rounded up. This equals the kernel's truncating cvttps2dq for q ≥ 0.
            let shifted = q + 0x1p23
            let nearest = shifted - 0x1p23
            var j = unsafeBitCast(shifted, to: I8.self) & 0x007F_FFFF
            j = j &- I8(repeating: 0).replacing(with: 1, where: nearest .> q)
            j = (j &+ 1) & ~1  // round the octant up to even
            let y = F8(j)
            // Reduce by j·π/4 in three parts. torch fuses all three steps, but y·DP1 and y·DP2 are
            // exact in float (y is an even integer ≤ 8; DP1 and DP2 have 8 and 11 significant
            // bits), so for them fused and plain round identically.
            var x = y * minusDP1 + a
            x = y * minusDP2 + x
            x = fma(y, minusDP3, x)
            let flipSine = unsafeBitCast((j & 4) &<< 29, to: U8.self)
            let flipCosine = unsafeBitCast((~(j &- 2) & 4) &<< 29, to: U8.self)
            let usePlain = (j & 2) .== I8(repeating: 0)

            let z = x * x
            let h = z * 0.5
            var c = fma(c0, z, c1)
            c = fma(c, z, c2)
            c = z * c
            c = fma(z, c, -h)
            c = c + 1
            var s = fma(s0, z, s1)
            s = fma(s, z, s2)
            s = z * s
            s = fma(x, s, x)

            // The SIMD code selects with masks and adds +0.0, which only normalises a zero's sign;
            // the kernel's final `+ 0` does the same, so it is left out here.
            let sine = c.replacing(with: s, where: usePlain)
            let cosine = s.replacing(with: c, where: usePlain)
            return (
                unsafeBitCast(unsafeBitCast(sine, to: U8.self) ^ flipSine, to: F8.self),
                unsafeBitCast(unsafeBitCast(cosine, to: U8.self) ^ flipCosine, to: F8.self)
            )
        }
    }

    /// An eight-lane a·b + c with a single rounding, as the FMA instruction computes it.
    ///
    /// `Float.addingProduct` is not used: the default x86-64 target has no FMA instruction, so it
    /// becomes a `fmaf` library call per lane, which made the kernel several times slower.
    protocol FusedMultiplyAdd8 {
        /// Marks in `suspect` the lanes where the result might not be the correctly rounded one.
        static func fma(
            _ a: SIMD8<Float>, _ b: SIMD8<Float>, _ c: SIMD8<Float>, _ suspect: inout SIMDMask<SIMD8<Int64>>
        ) -> SIMD8<Float>
    }

    /// The fast path: the product is exact in double (24 + 24 significant bits fit in 53), the sum
    /// is rounded to double and then to float. That double rounding equals one correct rounding
    /// unless the double sum lies exactly halfway between two floats (its low 29 significand bits
    /// are 1000…0), where the tie may break the wrong way. Those lanes are flagged as suspect, and
    /// so, defensively, are sums below the float normal range (where float has fewer digits). In
    /// the kernel the latter are only exact zeros (from u1 = 1 or θ = 0), which would be right
    /// anyway; flagging them merely sends those very rare blocks down the exact path.
    enum DoubleRoundedFMA: FusedMultiplyAdd8 {
        @inline(__always)
        static func fma(
            _ a: SIMD8<Float>, _ b: SIMD8<Float>, _ c: SIMD8<Float>, _ suspect: inout SIMDMask<SIMD8<Int64>>
        ) -> SIMD8<Float> {
            let sum = SIMD8<Double>(a) * SIMD8<Double>(b) + SIMD8<Double>(c)
            let bits = unsafeBitCast(sum, to: SIMD8<UInt64>.self)
            // Shift the low 29 bits to the top and compare with 1000…0. Multiplying by 2^35 is that
            // shift: `&*` and `.==` have vector-instruction overloads for concrete SIMD types, while
            // `&<<` and `&` only have generic lane-by-lane code. (Explicitly typed operands, so
            // that the concrete overloads are the ones chosen.)
            let shiftedLow: SIMD8<UInt64> = bits &* SIMD8<UInt64>(repeating: 1 << 35)
            let halfway = shiftedLow .== SIMD8<UInt64>(repeating: 1 << 63)
            let tiny = (sum .< 0x1p-125) .& (sum .> -0x1p-125)
            suspect = suspect .| halfway .| tiny
            return SIMD8<Float>(sum)
        }
    }

    /// The exact path for all finite inputs, via round-to-odd: the exact product plus c is rounded
    /// to nearest in double, and an inexact result with an even last bit is moved one ulp toward
    /// the exact sum (the rounding error comes from TwoSum). Rounding that round-to-odd double to
    /// float gives the correctly rounded a·b + c, because 53 ≥ 2·24 + 2.
    enum RoundToOddFMA: FusedMultiplyAdd8 {
        @inline(__always)
        static func fma(
            _ a: SIMD8<Float>, _ b: SIMD8<Float>, _ c: SIMD8<Float>, _: inout SIMDMask<SIMD8<Int64>>
        ) -> SIMD8<Float> {
            let product = SIMD8<Double>(a) * SIMD8<Double>(b)
            let addend = SIMD8<Double>(c)
            let sum = product + addend
            let addendPart = sum - product
            let error = (product - (sum - addendPart)) + (addend - addendPart)
            let bits = unsafeBitCast(sum, to: SIMD8<UInt64>.self)
            // Exact sum smaller in magnitude than `sum`: step down first; then force the last bit.
            let towardZero = (error .< SIMD8<Double>(repeating: 0)) .^ (sum .< SIMD8<Double>(repeating: 0))
            let odd = bits.replacing(with: bits &- 1, where: towardZero) | 1
            let rounded = bits.replacing(with: odd, where: error .!= SIMD8<Double>(repeating: 0))
            return SIMD8<Float>(unsafeBitCast(rounded, to: SIMD8<Double>.self))
        }
    }
}
