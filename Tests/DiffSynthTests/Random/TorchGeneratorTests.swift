import Testing

@testable import DiffSynth

// Bit-exact comparison of `TorchGenerator` with PyTorch's CPU generator.
// The expected values come from Fixtures/rng/torch_randn.json, written by
// Tools/reference/make_rng_fixtures.py from a real torch (the version is recorded in the file).

// MARK: - Fixture model

/// The decoded fixture file; the nested types are namespaced so they cannot collide with other tests.
struct TorchRNGFixture: Decodable, Sendable {
    /// Values recorded from one float32 tensor: bit patterns at both ends plus a digest of all of it.
    struct Float32Record: Decodable, Sendable {
        let count: Int
        let first: [UInt32]
        let last: [UInt32]
        let sha256: String
    }

    /// The same for a float64 tensor; bit patterns are 16-digit hex strings.
    struct Float64Record: Decodable, Sendable {
        let count: Int
        let first: [String]
        let last: [String]
        let sha256: String
    }

    /// One call on a freshly seeded generator, with torch's result.
    struct Seeded<Record: Decodable & Sendable>: Decodable, Sendable, CustomTestStringConvertible {
        let seed: UInt64
        let record: Record

        init(from decoder: any Decoder) throws {
            seed = try Key.decodeInteger(decoder, "seed")
            record = try Record(from: decoder)
        }

        var testDescription: String {
            let count = (record as? Float32Record)?.count ?? (record as? Float64Record)?.count ?? 0
            return "seed \(seed), \(count) elements"
        }
    }

    struct BFloat16Case: Decodable, Sendable, CustomTestStringConvertible {
        let seed: UInt64
        let shape: [Int]
        let record: Float32Record

        init(from decoder: any Decoder) throws {
            seed = try Key.decodeInteger(decoder, "seed")
            shape = try decoder.container(keyedBy: Key.self).decode([Int].self, forKey: Key("shape"))
            record = try Float32Record(from: decoder)
        }

        var testDescription: String { "seed \(seed), shape \(shape)" }
    }

    struct RandintCase: Decodable, Sendable, CustomTestStringConvertible {
        let seed: UInt64
        let low: Int64
        let high: Int64
        let values: [Int64]

        init(from decoder: any Decoder) throws {
            try self.init(from: decoder, seed: Key.decodeInteger(decoder, "seed"))
        }

        /// A randint call inside a sequence carries no seed of its own.
        init(from decoder: any Decoder, seed: UInt64) throws {
            let container = try decoder.container(keyedBy: Key.self)
            self.seed = seed
            low = try Key.decodeInteger(decoder, "low")
            high = try Key.decodeInteger(decoder, "high")
            values = try container.decode([String].self, forKey: Key("values")).map { try Key.integer($0) }
        }

        var testDescription: String { "seed \(seed), \(low) ..< \(high)" }
    }

    /// Several calls on one generator, each checked against torch's result for the same call.
    struct SequenceCase: Decodable, Sendable, CustomTestStringConvertible {
        enum Call: Sendable {
            case randn(Float32Record)
            case rand(Float32Record)
            case randnDouble(Float64Record)
            case randint(low: Int64, high: Int64, values: [Int64])
        }

        let seed: UInt64
        let calls: [Call]

        init(from decoder: any Decoder) throws {
            seed = try Key.decodeInteger(decoder, "seed")
            var list = try decoder.container(keyedBy: Key.self).nestedUnkeyedContainer(forKey: Key("calls"))
            var calls: [Call] = []
            while !list.isAtEnd {
                let callDecoder = try list.superDecoder()
                let container = try callDecoder.container(keyedBy: Key.self)
                // Plain randn sequences have no "op" key.
                let op = try container.decodeIfPresent(String.self, forKey: Key("op")) ?? "randn"
                switch op {
                case "randn": calls.append(.randn(try Float32Record(from: callDecoder)))
                case "rand": calls.append(.rand(try Float32Record(from: callDecoder)))
                case "randn_double": calls.append(.randnDouble(try Float64Record(from: callDecoder)))
                case "randint":
                    let randint = try RandintCase(from: callDecoder, seed: seed)
                    calls.append(.randint(low: randint.low, high: randint.high, values: randint.values))
                default:
                    throw DecodingError.dataCorruptedError(
                        forKey: Key("op"), in: container, debugDescription: "unknown op \(op)")
                }
            }
            self.calls = calls
        }

        var testDescription: String { "seed \(seed), \(calls.count) calls" }
    }

    struct MT19937Case: Decodable, Sendable, CustomTestStringConvertible {
        let seed: UInt64
        let first: [UInt32]
        let aroundTwist: [UInt32]
        let aroundSecondTwist: [UInt32]

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            seed = try Key.decodeInteger(decoder, "seed")
            first = try container.decode([UInt32].self, forKey: Key("first"))
            aroundTwist = try container.decode([UInt32].self, forKey: Key("around_twist"))
            aroundSecondTwist = try container.decode([UInt32].self, forKey: Key("around_second_twist"))
        }

        var testDescription: String { "seed \(seed)" }
    }

    /// String-keyed access; 64-bit integers are stored as decimal strings because JSON numbers
    /// lose precision above 2^53.
    struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }

        static func integer<T: FixedWidthInteger>(_ text: String) throws -> T {
            guard let value = T(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "not a \(T.self): \(text)"))
            }
            return value
        }

        static func decodeInteger<T: FixedWidthInteger>(_ decoder: any Decoder, _ key: String) throws -> T {
            try integer(decoder.container(keyedBy: Key.self).decode(String.self, forKey: Key(key)))
        }
    }

    let torchVersion: String
    let mt19937: [MT19937Case]
    let randn: [Seeded<Float32Record>]
    let sequences: [SequenceCase]
    let mixed: [SequenceCase]
    let rand: [Seeded<Float32Record>]
    let randint: [RandintCase]
    let randnDouble: [Seeded<Float64Record>]
    let randnBf16: [BFloat16Case]
    let defaultGenerator: Seeded<Float32Record>

    enum CodingKeys: String, CodingKey {
        case torchVersion = "torch_version", mt19937, randn, sequences, mixed, rand, randint
        case randnDouble = "randn_double", randnBf16 = "randn_bf16", defaultGenerator = "default_generator"
    }

    /// Decoded once (from Fixtures/rng/torch_randn.json, found relative to `#filePath` by the
    /// `Fixtures` helper); a missing or malformed file fails every test that needs it.
    private static let decoded = Result<TorchRNGFixture, any Error> {
        try Fixtures.decode(TorchRNGFixture.self, "rng/torch_randn.json")
    }

    static func load() throws -> TorchRNGFixture { try decoded.get() }
}

// MARK: - Comparison helpers

/// Checks float32 values against a record: exact bit patterns at both ends and the digest of
/// all values. A mismatch reports how many of the compared elements differ.
private func expectBits(_ values: [Float], equal record: TorchRNGFixture.Float32Record, _ context: String) {
    #expect(values.count == record.count, "\(context): count")
    let bits = values.map(\.bitPattern)
    let first = Array(bits.prefix(16)), last = Array(bits.suffix(16))
    #expect(first == record.first, "\(context): \(differing(first, record.first)) of the first values differ")
    #expect(last == record.last, "\(context): \(differing(last, record.last)) of the last values differ")
    #expect(SHA256.hexDigest(littleEndian: bits) == record.sha256, "\(context): sha256 of all values")
}

private func expectBits(_ values: [Double], equal record: TorchRNGFixture.Float64Record, _ context: String) {
    #expect(values.count == record.count, "\(context): count")
    let bits = values.map(\.bitPattern)
    let hex = bits.map { bit in
        let digits = String(bit, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
    let first = Array(hex.prefix(16)), last = Array(hex.suffix(16))
    #expect(first == record.first, "\(context): \(differing(first, record.first)) of the first values differ")
    #expect(last == record.last, "\(context): \(differing(last, record.last)) of the last values differ")
    #expect(SHA256.hexDigest(littleEndian: bits) == record.sha256, "\(context): sha256 of all values")
}

private func differing<T: Equatable>(_ a: [T], _ b: [T]) -> Int {
    zip(a, b).filter { $0 != $1 }.count + abs(a.count - b.count)
}

// MARK: - Tests

@Suite("TorchGenerator reproduces PyTorch's CPU generator bit for bit")
struct TorchGeneratorTests {
    @Test("Mersenne Twister words match numpy's legacy MT19937, across the block regenerations",
          arguments: try TorchRNGFixture.load().mt19937)
    func mersenneTwisterWords(_ fixture: TorchRNGFixture.MT19937Case) {
        var generator = TorchGenerator(seed: fixture.seed)
        let words = (0..<1256).map { _ in generator.nextUInt32() }
        #expect(Array(words[0..<16]) == fixture.first)
        #expect(Array(words[616..<632]) == fixture.aroundTwist)
        #expect(Array(words[1240..<1256]) == fixture.aroundSecondTwist)
    }

    @Test("The 10000th word of seed 5489 is the one the C++ standard requires of std::mt19937")
    func standardMersenneTwisterCheck() {
        var generator = TorchGenerator(seed: 5489)
        for _ in 0..<9999 { _ = generator.nextUInt32() }
        #expect(generator.nextUInt32() == 4_123_659_995)
    }

    @Test("A 64-bit draw puts the first word in the high half")
    func random64WordOrder() {
        var words = TorchGenerator(seed: 42)
        var wide = TorchGenerator(seed: 42)
        for _ in 0..<700 {  // crosses a block regeneration
            let high = UInt64(words.nextUInt32()), low = UInt64(words.nextUInt32())
            #expect(wide.nextUInt64() == high << 32 | low)
        }
    }

    @Test("Float32 randn matches torch.randn for every seed and element count",
          arguments: try TorchRNGFixture.load().randn)
    func randnFloat32(_ fixture: TorchRNGFixture.Seeded<TorchRNGFixture.Float32Record>) {
        var generator = TorchGenerator(seed: fixture.seed)
        expectBits(generator.randn(count: fixture.record.count), equal: fixture.record, fixture.testDescription)
    }

    @Test("Sequential randn calls on one generator stay in step with torch, cached normal included",
          arguments: try TorchRNGFixture.load().sequences)
    func randnSequence(_ fixture: TorchRNGFixture.SequenceCase) {
        run(fixture)
    }

    @Test("randn, rand and randint calls of both dtypes interleave like torch's",
          arguments: try TorchRNGFixture.load().mixed)
    func mixedSequence(_ fixture: TorchRNGFixture.SequenceCase) {
        run(fixture)
    }

    @Test("Float32 rand matches torch.rand", arguments: try TorchRNGFixture.load().rand)
    func randFloat32(_ fixture: TorchRNGFixture.Seeded<TorchRNGFixture.Float32Record>) {
        var generator = TorchGenerator(seed: fixture.seed)
        expectBits(generator.rand(count: fixture.record.count), equal: fixture.record, fixture.testDescription)
    }

    @Test("randint matches torch.randint for ranges on both sides of 2^28 and up to 2^64 - 1",
          arguments: try TorchRNGFixture.load().randint)
    func randint(_ fixture: TorchRNGFixture.RandintCase) {
        var generator = TorchGenerator(seed: fixture.seed)
        let values = generator.randint(low: fixture.low, high: fixture.high, count: fixture.values.count)
        #expect(values == fixture.values)
    }

    @Test("Float64 randn matches torch.randn(dtype=torch.float64)",
          arguments: try TorchRNGFixture.load().randnDouble)
    func randnFloat64(_ fixture: TorchRNGFixture.Seeded<TorchRNGFixture.Float64Record>) {
        var generator = TorchGenerator(seed: fixture.seed)
        expectBits(generator.randnDouble(count: fixture.record.count), equal: fixture.record, fixture.testDescription)
    }

    @Test("bf16-rounded randn matches torch.randn(dtype=torch.bfloat16) for latent shapes",
          arguments: try TorchRNGFixture.load().randnBf16)
    func randnBFloat16(_ fixture: TorchRNGFixture.BFloat16Case) {
        var generator = TorchGenerator(seed: fixture.seed)
        let count = fixture.shape.reduce(1, *)
        let values = generator.randnRoundedToBFloat16(count: count)
        expectBits(values, equal: fixture.record, fixture.testDescription)
        #expect(values.allSatisfy { $0.bitPattern & 0xFFFF == 0 }, "every value is a bfloat16")
    }

    @Test("A fresh generator uses torch's default seed")
    func defaultSeed() throws {
        let fixture = try TorchRNGFixture.load().defaultGenerator
        #expect(fixture.seed == TorchGenerator.defaultSeed)
        var generator = TorchGenerator()
        #expect(generator.initialSeed == TorchGenerator.defaultSeed)
        expectBits(generator.randn(count: fixture.record.count), equal: fixture.record, "default generator")
    }

    @Test("Only the low 32 bits of the seed matter: seed 2^32 + 7 gives the numbers of seed 7")
    func seedUsesLow32Bits() {
        var wide = TorchGenerator(seed: (1 << 32) + 7)
        var narrow = TorchGenerator(seed: 7)
        #expect(wide.initialSeed == (1 << 32) + 7)
        // Both paths (scalar below 16 elements, blocks from 16), and the cached normal.
        for count in [5, 1000, 3, 1, 17] {
            #expect(wide.randn(count: count).map(\.bitPattern) == narrow.randn(count: count).map(\.bitPattern))
        }
        #expect(wide.nextUInt64() == narrow.nextUInt64())
    }

    @Test("Negative Python seeds wrap modulo 2^64")
    func negativeSeedWraps() {
        var wrapped = TorchGenerator(seed: UInt64(bitPattern: -1))
        var explicit = TorchGenerator(seed: UInt64.max)
        #expect(wrapped.randn(count: 40) == explicit.randn(count: 40))
    }

    @Test("Copying a generator forks the stream, cached normal included")
    func valueSemantics() {
        var original = TorchGenerator(seed: 123)
        _ = original.randn(count: 3)  // leaves a cached normal behind
        var copy = original
        let fromOriginal = original.randn(count: 1) + original.randn(count: 700)
        let fromCopy = copy.randn(count: 1) + copy.randn(count: 700)
        #expect(fromOriginal.map(\.bitPattern) == fromCopy.map(\.bitPattern))
    }

    @Test("Zero elements draw nothing")
    func emptyDraws() {
        var generator = TorchGenerator(seed: 9)
        var reference = TorchGenerator(seed: 9)
        #expect(generator.randn(count: 0).isEmpty)
        #expect(generator.randnDouble(count: 0).isEmpty)
        #expect(generator.rand(count: 0).isEmpty)
        #expect(generator.randint(low: 0, high: 3, count: 0).isEmpty)
        #expect(generator.nextUInt32() == reference.nextUInt32())
    }

    private func run(_ fixture: TorchRNGFixture.SequenceCase) {
        var generator = TorchGenerator(seed: fixture.seed)
        for (index, call) in fixture.calls.enumerated() {
            let context = "seed \(fixture.seed), call \(index)"
            switch call {
            case .randn(let record):
                expectBits(generator.randn(count: record.count), equal: record, "\(context) randn(\(record.count))")
            case .rand(let record):
                expectBits(generator.rand(count: record.count), equal: record, "\(context) rand(\(record.count))")
            case .randnDouble(let record):
                expectBits(
                    generator.randnDouble(count: record.count), equal: record,
                    "\(context) randn float64(\(record.count))")
            case .randint(let low, let high, let values):
                #expect(
                    generator.randint(low: low, high: high, count: values.count) == values,
                    "\(context) randint(\(low), \(high))")
            }
        }
    }
}

@Suite("The float32 kernel's fused multiply-add")
struct FusedMultiplyAddTests {
    typealias F8 = SIMD8<Float>
    typealias Suspect = SIMDMask<SIMD8<Int64>>

    /// Random floats with exponents in ±`spread` around `exponent` and a random sign and
    /// significand.
    private static func randomFloats(_ source: inout TestRandom, exponent: Int, spread: Int) -> F8 {
        var v = F8()
        for i in 0..<8 {
            let word = source.next()
            let e = exponent + Int((word >> 40) % UInt64(2 * spread + 1)) - spread
            let significand = Float(sign: .plus, exponent: 0, significand: 1 + Float(word & 0x7F_FFFF) * 0x1p-23)
            v[i] = Float(sign: word & (1 << 63) == 0 ? .plus : .minus, exponent: e, significand: significand)
        }
        return v
    }

    /// Addends that put a·b + c next to a point halfway between two floats: the double sum then
    /// often lands exactly on the halfway point although the exact sum does not.
    private static func nearTieAddends(_ a: F8, _ b: F8, _ source: inout TestRandom) -> F8 {
        var c = F8()
        for i in 0..<8 {
            let product = Double(a[i]) * Double(b[i])
            let rounded = Float(product)
            let halfway = Double(rounded) + Double(rounded.ulp) / 2
            var addend = Float(halfway - product)
            switch source.next() % 3 {
            case 0: addend = addend.nextUp
            case 1: addend = addend.nextDown
            default: break
            }
            c[i] = addend
        }
        return c
    }

    private static func trueFMA(_ a: F8, _ b: F8, _ c: F8) -> F8 {
        var r = F8()
        for i in 0..<8 { r[i] = c[i].addingProduct(a[i], b[i]) }
        return r
    }

    private static func bits(_ v: F8) -> [UInt32] { (0..<8).map { v[$0].bitPattern } }

    @Test("Hand-made double-rounding traps: the fast path flags them, round-to-odd gets them right")
    func constructedTies() {
        // a·b + c = 1 + 3·2^-24 − 2^-70: rounding to double gives the halfway point 1 + 3·2^-24,
        // which ties to even (1 + 2^-22); the correct float is 1 + 2^-23.
        // Second lane: 1 + 2^-24 + 2^-70 rounds to the halfway point 1 + 2^-24 (ties to 1); the
        // correct float is 1 + 2^-23.
        var a = F8(repeating: 1), b = F8(repeating: 1), c = F8(repeating: 0)
        (a[0], b[0], c[0]) = (1 + 0x1p-22, 1 - 0x1p-24, 0x1p-46 - 0x1p-70)
        (a[1], b[1], c[1]) = (1 + 0x1p-23, 1 - 0x1p-24, 0x1p-47 + 0x1p-70)
        let expected = Self.trueFMA(a, b, c)
        #expect(expected[0] == 1 + 0x1p-23 && expected[1] == 1 + 0x1p-23)
        var suspect = Suspect(repeating: false)
        #expect(Self.bits(TorchGenerator.RoundToOddFMA.fma(a, b, c, &suspect)) == Self.bits(expected))
        let fast = TorchGenerator.DoubleRoundedFMA.fma(a, b, c, &suspect)
        #expect(suspect[0] && suspect[1] && !suspect[2])
        #expect(fast[0] == 1 + 0x1p-22 && fast[1] == 1, "the fast path alone would be wrong here")
    }

    @Test("Round-to-odd emulation equals a true FMA; the fast path does wherever it does not flag a lane")
    func randomInputs() {
        var source = TestRandom(2024)
        var flagged = 0, exactWrong = 0, fastWrong = 0
        var example = ""
        for round in 0..<40_000 {
            let a = Self.randomFloats(&source, exponent: 0, spread: 20)
            let b = Self.randomFloats(&source, exponent: 0, spread: 20)
            let c = round % 2 == 0
                ? Self.randomFloats(&source, exponent: 0, spread: 45) : Self.nearTieAddends(a, b, &source)
            let expected = Self.bits(Self.trueFMA(a, b, c))
            var suspect = Suspect(repeating: false)
            let exact = Self.bits(TorchGenerator.RoundToOddFMA.fma(a, b, c, &suspect))
            let fast = Self.bits(TorchGenerator.DoubleRoundedFMA.fma(a, b, c, &suspect))
            for lane in 0..<8 {
                let exactOK = exact[lane] == expected[lane]
                let fastOK = suspect[lane] || fast[lane] == expected[lane]
                if suspect[lane] { flagged += 1 }
                if !exactOK { exactWrong += 1 }
                if !fastOK { fastWrong += 1 }
                if (!exactOK || !fastOK) && example.isEmpty {
                    example = "a \(a[lane]), b \(b[lane]), c \(c[lane])"
                }
            }
        }
        #expect(exactWrong == 0, "round-to-odd differs from a true FMA, e.g. \(example)")
        #expect(fastWrong == 0, "an unflagged fast result differs from a true FMA, e.g. \(example)")
        #expect(flagged > 0, "the near-tie inputs exercise the flagging")
    }

    @Test("The kernel run with the always-exact multiply-add alone reproduces torch.randn",
          arguments: try TorchRNGFixture.load().randn.filter { $0.record.count == 16 * 128 * 128 })
    func exactKernelMatchesTorch(_ fixture: TorchRNGFixture.Seeded<TorchRNGFixture.Float32Record>) {
        // For a multiple of 16 elements, randn is the block transform of that many uniforms.
        var generator = TorchGenerator(seed: fixture.seed)
        let uniforms = generator.rand(count: fixture.record.count)
        var normals = [Float](repeating: 0, count: uniforms.count)
        var fastNormals = normals
        for start in stride(from: 0, to: uniforms.count, by: 16) {
            let low = F8(uniforms[start..<start + 8]), high = F8(uniforms[start + 8..<start + 16])
            var suspect = Suspect(repeating: false)
            let (cosine, sine) = TorchGenerator.CephesFloat.boxMuller(
                1 - low, high, TorchGenerator.RoundToOddFMA.self, &suspect)
            let (fastCosine, fastSine) = TorchGenerator.CephesFloat.boxMuller(
                1 - low, high, TorchGenerator.DoubleRoundedFMA.self, &suspect)
            for j in 0..<8 {
                (normals[start + j], normals[start + 8 + j]) = (cosine[j], sine[j])
                (fastNormals[start + j], fastNormals[start + 8 + j]) = (fastCosine[j], fastSine[j])
            }
        }
        expectBits(normals, equal: fixture.record, "\(fixture.testDescription), exact multiply-add only")
        expectBits(fastNormals, equal: fixture.record, "\(fixture.testDescription), fast multiply-add only")
    }
}

@Suite("SHA-256 test helper")
struct SHA256Tests {
    /// (text, repetitions, digest of the text repeated): the empty and one- and two-block
    /// FIPS 180-4 examples, and a 1000-byte message spanning 16 blocks.
    @Test("Digests match the published examples", arguments: [
        ("", 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
        ("a", 1000, "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"),
    ])
    func knownVectors(_ text: String, _ repetitions: Int, _ expected: String) {
        #expect(SHA256.hexDigest(Array(String(repeating: text, count: repetitions).utf8)) == expected)
    }

    @Test("Little-endian digests match Python's over numpy arrays")
    func littleEndianLayout() {
        // hashlib.sha256(np.array([1.0, -2.5], dtype="<f4").tobytes()).hexdigest()
        let bits = [Float(1.0), -2.5].map(\.bitPattern)
        #expect(SHA256.hexDigest(littleEndian: bits) == "48943f7a0ea247f8e3c9386d0c5822fe181d323a9289980426638cc4e72a43e1")
    }
}
