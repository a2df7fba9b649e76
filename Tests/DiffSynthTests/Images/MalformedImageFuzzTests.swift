import Foundation
import Testing
@testable import DiffSynth

/// Random corruptions of valid files: each must either decode or throw an ``ImageError`` naming
/// the file — never trap, hang or end the process (the JPEG path runs libjpeg, whose default
/// reaction to errors is `exit()`).
@Suite("Corrupted files fail cleanly")
struct MalformedImageFuzzTests {
    /// Flips, overwrites, inserts, deletes or truncates at random positions.
    static func mutate(_ bytes: [UInt8], _ random: inout TestRandom) -> [UInt8] {
        var out = bytes
        let edits = 1 + Int(random.next() % 3)
        for _ in 0..<edits {
            guard !out.isEmpty else { break }
            let position = Int(random.next() % UInt64(out.count))
            switch random.next() % 5 {
            case 0: out[position] ^= UInt8(1 << (random.next() % 8))
            case 1: out[position] = UInt8(truncatingIfNeeded: random.next())
            case 2: out.insert(UInt8(truncatingIfNeeded: random.next()), at: position)
            case 3: out.remove(at: position)
            default: out = Array(out.prefix(position))
            }
        }
        return out
    }

    static func check(_ bytes: [UInt8], decode: (Data) throws -> RGBImage) -> Bool {
        do {
            let image = try decode(Data(bytes))
            return image.pixels.count == image.width * image.height * 3
        } catch let error as ImageError {
            return error.description.hasPrefix("fuzz: ")
        } catch {
            return false
        }
    }

    @Test("3000 mutations of PNG files (plain, interlaced, palette, 16-bit) decode or throw named errors")
    func png() throws {
        var random = TestRandom(2024)
        var failures = 0, decoded = 0
        for name in ["rgb8", "rgb8_adam7", "pal4", "rgba16", "rgb8_pil", "gray16"] {
            let original = try ImageFixtures.bytes("png/\(name).png")
            for _ in 0..<500 {
                let mutated = Self.mutate(original, &random)
                if !Self.check(mutated, decode: { try RGBImage(pngData: $0, name: "fuzz") }) { failures += 1 }
                if (try? RGBImage(pngData: Data(mutated), name: "fuzz")) != nil { decoded += 1 }
            }
        }
        #expect(failures == 0)
        // Chunk CRCs catch nearly every corruption, so almost all mutations must be rejected.
        #expect(decoded < 300)
    }

    @Test("mutated zlib streams with recomputed CRCs exercise the inflater's own checks")
    func inflateFuzz() throws {
        var random = TestRandom(7)
        let image = ImageFixtures.picture(width: 40, height: 30)
        let png = [UInt8](try image.pngData())
        // Pull the zlib stream out (single IDAT for this size) and corrupt it behind valid CRCs.
        let idatStart = 8 + 25 + 8
        let idatLength = Int(png[33]) << 24 | Int(png[34]) << 16 | Int(png[35]) << 8 | Int(png[36])
        let stream = Array(png[idatStart..<(idatStart + idatLength)])
        var failures = 0
        for _ in 0..<1500 {
            var b = PNGBuilder()
            b.chunk("IHDR", PNGBuilder.ihdr(width: 40, height: 30))
            b.chunk("IDAT", Self.mutate(stream, &random))
            b.chunk("IEND", [])
            if !Self.check(b.bytes, decode: { try RGBImage(pngData: $0, name: "fuzz") }) { failures += 1 }
        }
        #expect(failures == 0)
    }

    @Test("400 mutations of JPEG files decode or throw named errors without ending the process")
    func jpeg() throws {
        var random = TestRandom(31337)
        var failures = 0
        for name in ["rgb420", "progressive", "gray", "cmyk"] {
            let original = try ImageFixtures.bytes("jpeg/\(name).jpg")
            for _ in 0..<100 {
                let mutated = Self.mutate(original, &random)
                if !Self.check(mutated, decode: { try RGBImage(jpegData: $0, name: "fuzz") }) { failures += 1 }
            }
        }
        #expect(failures == 0)
    }
}
