import CZlib
import Foundation

// PNG's compression and checksums through the system zlib, the library every PNG tool on Linux
// uses. The PNG decoder keeps its own chunk and filter handling on top (it names the exact fault
// of a bad file); only the codec lives here.

/// zlib (RFC 1950) compression.
enum Deflater {
    /// The zlib stream of `input` at zlib's default level (6, what libpng and PIL use).
    static func zlibCompress(_ input: UnsafeRawBufferPointer) -> [UInt8] {
        var capacity = compressBound(uLong(input.count))
        var output = [UInt8](repeating: 0, count: Int(capacity))
        let status = output.withUnsafeMutableBufferPointer { out in
            compress2(out.baseAddress, &capacity, input.baseAddress?.assumingMemoryBound(to: Bytef.self) ?? UnsafePointer(out.baseAddress),
                      uLong(input.count), Z_DEFAULT_COMPRESSION)
        }
        // compress2 fails only for lack of memory or a too-small buffer, which compressBound rules out.
        precondition(status == Z_OK, "zlib compress2 failed with status \(status)")
        output.removeSubrange(Int(capacity)...)
        return output
    }

    static func zlibCompress(_ input: [UInt8]) -> [UInt8] {
        input.withUnsafeBytes { zlibCompress($0) }
    }
}

/// zlib (RFC 1950) decompression, bounded by a caller-supplied limit: a PNG knows exactly how
/// many bytes its image data must inflate to, so a corrupt stream can neither run away nor make
/// us allocate more than that.
enum Inflater {
    /// Decompresses a zlib stream and hands the result to `body` without copying it.
    ///
    /// - Parameters:
    ///   - limit: the most bytes the stream may produce; more is an error.
    ///   - body: receives the decompressed bytes (mutable, so callers can unfilter in place).
    static func withZlibDecompressed<R>(_ input: UnsafeRawBufferPointer, limit: Int,
                                        _ body: (UnsafeMutableBufferPointer<UInt8>) throws -> R) throws -> R {
        guard input.count >= 2, let base = input.baseAddress else { throw InflateError.truncated }
        var stream = z_stream()
        guard inflateInit_(&stream, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw InflateError.corrupt("zlib could not start (out of memory)")
        }
        defer { inflateEnd(&stream) }
        // One more byte than allowed, so that a stream producing too much is seen as such.
        let capacity = min(limit, Int(UInt32.max) - 1) + 1
        let output = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { output.deallocate() }
        stream.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(min(input.count, Int(UInt32.max)))
        stream.next_out = output
        stream.avail_out = uInt(capacity)
        let status = inflate(&stream, Z_FINISH)
        let produced = capacity - Int(stream.avail_out)
        switch status {
        case Z_STREAM_END:
            guard produced <= limit else { throw InflateError.outputLimitExceeded(limit: limit) }
            return try body(UnsafeMutableBufferPointer(start: output, count: produced))
        case Z_DATA_ERROR:
            let message = stream.msg.map { String(cString: $0) } ?? "invalid data"
            if message == "incorrect data check" { throw InflateError.checksumMismatch(message) }
            throw InflateError.corrupt(message)
        case Z_BUF_ERROR where stream.avail_out == 0:
            throw InflateError.outputLimitExceeded(limit: limit)
        case Z_BUF_ERROR:
            throw InflateError.truncated
        case Z_MEM_ERROR:
            throw InflateError.corrupt("zlib ran out of memory")
        default:
            throw InflateError.corrupt("zlib status \(status)")
        }
    }

    static func zlibDecompress(_ data: [UInt8], limit: Int = 1 << 30) throws -> [UInt8] {
        try data.withUnsafeBytes { try withZlibDecompressed($0, limit: limit) { Array($0) } }
    }
}

/// CRC-32 (ISO 3309, the PNG chunk checksum).
enum CRC32 {
    static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return crc }
        return UInt32(crc32(uLong(crc), base.assumingMemoryBound(to: Bytef.self), uInt(bytes.count)))
    }

    static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        Array(bytes).withUnsafeBytes { update(0, $0) }
    }
}

/// Adler-32 (the zlib stream checksum).
enum Adler32 {
    static func update(_ adler: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return adler }
        return UInt32(adler32(uLong(adler), base.assumingMemoryBound(to: Bytef.self), uInt(bytes.count)))
    }
}
