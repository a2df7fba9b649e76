/// Adler-32, the checksum zlib appends to a deflate stream (RFC 1950).
enum Adler32 {
    /// Continues a checksum: pass the previous result as `adler` (1 to start).
    static func update(_ adler: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var a = adler & 0xFFFF
        var b = adler >> 16
        guard var p = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return adler }
        var remaining = bytes.count
        while remaining > 0 {
            // 5552 is the largest run for which the sums cannot overflow 32 bits before the
            // modulo (zlib's NMAX), so the expensive `%` runs once per 5552 bytes.
            let n = min(remaining, 5552)
            for i in 0..<n {
                a &+= UInt32(p[i])
                b &+= a
            }
            a %= 65521
            b %= 65521
            p += n
            remaining -= n
        }
        return b << 16 | a
    }
}
