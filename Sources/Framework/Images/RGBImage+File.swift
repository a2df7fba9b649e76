import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// File formats ``RGBImage`` can write.
public enum ImageFormat: Sendable, Equatable {
    /// Lossless 8-bit RGB PNG.
    case png
    /// Baseline JPEG at `quality` 1...100.
    case jpeg(quality: Int)

    /// JPEG at quality 95.
    public static let jpeg = ImageFormat.jpeg(quality: 95)

    /// PIL's default JPEG quality, which DiffSynth-Studio's datasets are saved with (`image.save("x.jpg")`).
    public static let datasetJPEGQuality = 75

    /// The format a file name asks for: `.png`, or `.jpg`/`.jpeg` (quality 95), case-insensitive.
    ///
    /// - Throws: ``ImageError/unsupported(file:detail:)`` naming `path` for any other extension.
    public init(path: String) throws {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let dot = name.lastIndex(of: ".")
        let ext = dot.map { name[name.index(after: $0)...].lowercased() } ?? ""
        switch ext {
        case "png": self = .png
        case "jpg", "jpeg": self = .jpeg
        default:
            throw ImageError.unsupported(file: path, detail: "cannot tell the image format from the extension "
                + (ext.isEmpty ? "(none)" : "'.\(ext)'") + "; use .png, .jpg or .jpeg")
        }
    }
}

extension RGBImage {
    /// Loads a PNG or JPEG file, recognised by its signature (not its extension), converting
    /// to RGB as DiffSynth's `LoadImage` (`Image.open(path).convert("RGB")`) does.
    ///
    /// - Throws: ``ImageError`` whose message starts with the file's path.
    public init(contentsOf url: URL) throws {
        let file = url.path
        let data: Data
        do {
            // Read, not mapped: a mapped file truncated by another process would crash us (SIGBUS).
            data = try Data(contentsOf: url)
        } catch {
            throw ImageError.unreadable(file: file, reason: Self.reason(error))
        }
        if data.starts(with: PNGHeader.signature) {
            self = try RGBImage(pngData: data, name: file)
        } else if data.starts(with: [0xFF, 0xD8, 0xFF]) {
            self = try RGBImage(jpegData: data, name: file)
        } else {
            throw ImageError.unknownFormat(file: file)
        }
    }

    /// Writes the image atomically: encoded in memory, written to a temporary file in the same
    /// directory, flushed, then renamed over `url`. Readers never see a partial file, an
    /// existing file is replaced only by a complete one, and on failure the temporary file is
    /// removed.
    public func write(to url: URL, format: ImageFormat) throws {
        let file = url.path
        let bytes: [UInt8]
        do {
            switch format {
            case .png: bytes = try PNGEncoder.encode(self, file: file)
            case .jpeg(let quality): bytes = try JPEGEncoder.encode(self, quality: quality, file: file)
            }
        } catch let error as ImageError {
            if case .invalidArgument(let message) = error { throw ImageError.writeFailed(file: file, reason: message) }
            throw error
        }
        try Self.writeAtomically(bytes, to: url)
    }

    private static func writeAtomically(_ bytes: [UInt8], to url: URL) throws {
        let file = url.path
        let directory = url.deletingLastPathComponent().path
        // Same directory, so rename(2) is atomic (no cross-device move); the name is hidden
        // and unique per process and call.
        let temporary = directory + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UUID().uuidString)"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ImageError.writeFailed(file: file, reason: errnoText()) }
        var failure: String?
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = posixWrite(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errnoText()
                    return
                }
                offset += n
            }
        }
        if failure == nil && fsync(fd) != 0 { failure = errnoText() }
        if close(fd) != 0 && failure == nil { failure = errnoText() }
        if failure == nil && rename(temporary, file) != 0 { failure = errnoText() }
        if let failure {
            unlink(temporary)
            throw ImageError.writeFailed(file: file, reason: failure)
        }
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }

    private static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
           let code = POSIXErrorCode(rawValue: Int32(underlying.code)) {
            return String(cString: strerror(code.rawValue))
        }
        return ns.localizedDescription
    }
}

/// `write(2)`; a free function because inside `RGBImage` the name `write` is the method.
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, buffer, count)
    #else
    return Darwin.write(fd, buffer, count)
    #endif
}
