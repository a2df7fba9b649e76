import CPNG
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decompresses, unfilters and de-interlaces a PNG's image data with libpng, leaving the samples
/// as the file stores them (no colour transformation: ``PNGPixelConverter`` applies PIL's rules).
///
/// libpng reports fatal errors through a callback that must not return (its default longjmps,
/// which Swift cannot take). As with libjpeg (``LibJPEGSession``), the job runs on a thread of its
/// own and the callback records the message and ends that thread with `pthread_exit`; the caller
/// then destroys libpng's structures and throws. The job holds only raw memory.
enum LibPNGReader {
    struct Job {
        var input: UnsafePointer<UInt8>
        var inputCount: Int
        var position = 0
        /// `height` rows of `rowBytes` each, filled by libpng, and a pointer to each row.
        var output: UnsafeMutablePointer<UInt8>
        var rows: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>
        var rowBytes: Int
        var height: Int
        var png: OpaquePointer?
        var info: OpaquePointer?
        var failed = false
        var finished = false
        var message: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                      UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

        var messageText: String {
            var copy = message
            return withUnsafeBytes(of: &copy) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
    }

    /// The raw rows of the PNG in `bytes` (whose structure the caller has validated): `height`
    /// rows of `rowBytes(width)` bytes. Throws libpng's message for anything it refuses.
    static func rows(_ bytes: UnsafeRawBufferPointer, header: PNGHeader, file: String) throws -> [UInt8] {
        let rowBytes = header.rowBytes(header.width)
        var output = [UInt8](repeating: 0, count: rowBytes * header.height)
        let job = UnsafeMutablePointer<Job>.allocate(capacity: 1)
        let rows = UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>.allocate(capacity: header.height)
        defer { job.deallocate(); rows.deallocate() }
        try output.withUnsafeMutableBufferPointer { out in
            for y in 0..<header.height { rows[y] = out.baseAddress! + y * rowBytes }
            job.initialize(to: Job(input: bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), inputCount: bytes.count,
                                   output: out.baseAddress!, rows: rows, rowBytes: rowBytes, height: header.height))
            defer {
                if job.pointee.png != nil {
                    var png = job.pointee.png, info = job.pointee.info
                    if info != nil { png_destroy_read_struct(&png, &info, nil) } else { png_destroy_read_struct(&png, nil, nil) }
                }
                job.deinitialize(count: 1)
            }
            guard LibJPEGSession.run(UnsafeMutableRawPointer(job), entry: { raw in
                LibPNGReader.work(raw!.assumingMemoryBound(to: Job.self))
                return nil
            }) else {
                throw ImageError.corruptData(file: file, detail: "could not start the PNG decoding thread")
            }
            if job.pointee.failed || !job.pointee.finished {
                throw ImageError.corruptData(file: file, detail: "libpng: \(job.pointee.failed ? job.pointee.messageText : "stopped unexpectedly")")
            }
        }
        return output
    }

    /// The worker thread's job: libpng reads the image data into the rows.
    private static func work(_ job: UnsafeMutablePointer<Job>) {
        let onError: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?) -> Void = { png, text in
            guard let job = png_get_error_ptr(png)?.assumingMemoryBound(to: Job.self) else { pthread_exit(nil) }
            withUnsafeMutableBytes(of: &job.pointee.message) { buffer in
                let source = text.map { String(cString: $0) } ?? "unknown error"
                let count = min(source.utf8.count, buffer.count - 1)
                buffer.copyBytes(from: source.utf8.prefix(count))
                buffer[count] = 0
            }
            job.pointee.failed = true
            pthread_exit(nil)
        }
        // Warnings (and benign errors, below) are not fatal; the caller validated the structure.
        let onWarning: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?) -> Void = { _, _ in }
        guard let png = png_create_read_struct(PNG_LIBPNG_VER_STRING, UnsafeMutableRawPointer(job), onError, onWarning) else { return }
        job.pointee.png = png
        guard let info = png_create_info_struct(png) else { return }
        job.pointee.info = info
        png_set_benign_errors(png, 1)
        png_set_read_fn(png, UnsafeMutableRawPointer(job)) { png, data, length in
            guard let job = png_get_io_ptr(png)?.assumingMemoryBound(to: Job.self), let data else { return }
            guard job.pointee.inputCount - job.pointee.position >= length else { png_error(png, "read past the end of the file") }
            data.update(from: job.pointee.input + job.pointee.position, count: length)
            job.pointee.position += length
        }
        png_read_info(png, info)
        if png_get_interlace_type(png, info) != PNG_INTERLACE_NONE { _ = png_set_interlace_handling(png) }
        png_read_update_info(png, info)
        guard png_get_rowbytes(png, info) == job.pointee.rowBytes else { png_error(png, "row size differs from the header's") }
        png_read_image(png, job.pointee.rows)
        job.pointee.finished = true
    }
}
