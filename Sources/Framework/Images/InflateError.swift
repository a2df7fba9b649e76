/// Why a zlib/deflate stream could not be decompressed. Callers (the PNG decoder) turn these
/// into ``ImageError`` values that name the file.
enum InflateError: Error, Equatable, CustomStringConvertible {
    /// The stream violates RFC 1950/1951 (bad header, invalid code, distance too far back…);
    /// the text is zlib's.
    case corrupt(String)
    /// The input ends before the final block (or the Adler-32 trailer) does.
    case truncated
    /// The Adler-32 trailer does not match the decompressed data (zlib's message).
    case checksumMismatch(String)
    /// The stream decompresses to more than the caller's limit.
    case outputLimitExceeded(limit: Int)

    var description: String {
        switch self {
        case .corrupt(let why): return why
        case .truncated: return "compressed data ends before the end of the stream"
        case .checksumMismatch(let message):
            return "Adler-32 mismatch (\(message))"
        case .outputLimitExceeded(let limit): return "decompresses to more than \(limit) bytes"
        }
    }
}
