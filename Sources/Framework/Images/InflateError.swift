/// Why a zlib/deflate stream could not be decompressed. Callers (the PNG decoder) turn these
/// into ``ImageError`` values that name the file.
enum InflateError: Error, Equatable, CustomStringConvertible {
    /// The stream violates RFC 1950/1951 (bad header, invalid code, distance too far back…).
    case corrupt(String)
    /// The input ends before the final block (or the Adler-32 trailer) does.
    case truncated
    /// The Adler-32 trailer does not match the decompressed data.
    case checksumMismatch(expected: UInt32, actual: UInt32)
    /// The stream decompresses to more than the caller's limit.
    case outputLimitExceeded(limit: Int)

    var description: String {
        switch self {
        case .corrupt(let why): return why
        case .truncated: return "compressed data ends before the end of the stream"
        case .checksumMismatch(let expected, let actual):
            return "Adler-32 mismatch (stored \(hex(expected)), computed \(hex(actual)))"
        case .outputLimitExceeded(let limit): return "decompresses to more than \(limit) bytes"
        }
    }

    private func hex(_ v: UInt32) -> String { "0x" + String(v, radix: 16) }
}
