/// CRC-32 (ISO-HDLC, polynomial 0xEDB88320 reflected), the checksum of PNG chunks and of zlib's
/// sibling gzip. Slicing-by-4 tables: PNG chunk CRCs cover all compressed data, so this runs
/// over megabytes per image.
enum CRC32 {
    private static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 4 * 256)
        for n in 0..<256 {
            var c = UInt32(n)
            for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            t[n] = c
        }
        for n in 0..<256 {
            for k in 1..<4 { t[k * 256 + n] = (t[(k - 1) * 256 + n] >> 8) ^ t[Int(t[(k - 1) * 256 + n] & 0xFF)] }
        }
        return t
    }()

    /// Continues a CRC: pass the previous result as `crc` (0 to start).
    static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var c = ~crc
        guard var p = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return crc }
        var n = bytes.count
        tables.withUnsafeBufferPointer { t in
            while n >= 4 {
                c ^= UInt32(p[0]) | UInt32(p[1]) << 8 | UInt32(p[2]) << 16 | UInt32(p[3]) << 24
                c = t[768 + Int(c & 0xFF)] ^ t[512 + Int((c >> 8) & 0xFF)]
                    ^ t[256 + Int((c >> 16) & 0xFF)] ^ t[Int(c >> 24)]
                p += 4
                n -= 4
            }
            while n > 0 {
                c = t[Int((c ^ UInt32(p[0])) & 0xFF)] ^ (c >> 8)
                p += 1
                n -= 1
            }
        }
        return ~c
    }

    /// The CRC of `bytes`.
    static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        let array = Array(bytes)
        return array.withUnsafeBytes { update(0, $0) }
    }
}
