import CJPEG
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decodes JPEG files to ``RGBImage`` with libjpeg(-turbo), converting like PIL's
/// `convert("RGB")`: YCbCr/RGB through libjpeg's own colour conversion, greyscale replicated,
/// and CMYK/YCCK read as Adobe-inverted CMYK (PIL's raw mode `CMYK;I`, applied to every CMYK
/// JPEG) then mapped with PIL's `cmyk2rgb`.
///
/// libjpeg settings are its defaults (islow IDCT, fancy upsampling), which are PIL's: the
/// system libjpeg-turbo 2.1 reproduces PIL 13's bundled libjpeg-turbo 3.2 exactly on the test
/// fixtures, though other builds could differ by a level in a few pixels. Truncated or corrupt
/// data throws (see ``LibJPEGSession``).
enum JPEGDecoder {
    /// Everything the worker thread reads and writes; raw memory shared with the caller.
    struct Job {
        var decompressor: UnsafeMutablePointer<jpeg_decompress_struct>
        var errorManager: UnsafeMutablePointer<jpeg_error_mgr>
        var source: UnsafeMutablePointer<jpeg_source_mgr>
        var session: UnsafeMutablePointer<LibJPEGSession>
        var input: UnsafePointer<UInt8>
        var inputCount: Int
        /// Filled by the worker: size and the RGB pixels (malloc'd), or a refusal reason.
        var width = 0
        var height = 0
        var pixels: UnsafeMutablePointer<UInt8>?
        var scratch: UnsafeMutablePointer<UInt8>?
        var tooLarge = false
        var unsupportedComponents = 0
        var finished = false
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, file: String) throws -> RGBImage {
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            throw ImageError.truncated(file: file, detail: "empty JPEG data")
        }
        let job = UnsafeMutablePointer<Job>.allocate(capacity: 1)
        let decompressor = UnsafeMutablePointer<jpeg_decompress_struct>.allocate(capacity: 1)
        let errorManager = UnsafeMutablePointer<jpeg_error_mgr>.allocate(capacity: 1)
        let source = UnsafeMutablePointer<jpeg_source_mgr>.allocate(capacity: 1)
        // Zeroed so that jpeg_destroy_decompress is safe whatever point the worker reached.
        UnsafeMutableRawPointer(decompressor).initializeMemory(as: UInt8.self, repeating: 0,
                                                                count: MemoryLayout<jpeg_decompress_struct>.size)
        UnsafeMutableRawPointer(errorManager).initializeMemory(as: UInt8.self, repeating: 0,
                                                                count: MemoryLayout<jpeg_error_mgr>.size)
        UnsafeMutableRawPointer(source).initializeMemory(as: UInt8.self, repeating: 0,
                                                          count: MemoryLayout<jpeg_source_mgr>.size)
        let session = LibJPEGSession.allocate()
        job.initialize(to: Job(decompressor: decompressor, errorManager: errorManager, source: source, session: session,
                               input: base.assumingMemoryBound(to: UInt8.self), inputCount: bytes.count))
        defer {
            jpeg_destroy_decompress(decompressor)
            free(job.pointee.pixels)
            free(job.pointee.scratch)
            decompressor.deallocate()
            errorManager.deallocate()
            source.deallocate()
            LibJPEGSession.deallocate(session)
            job.deinitialize(count: 1)
            job.deallocate()
        }

        guard LibJPEGSession.run(UnsafeMutableRawPointer(job), entry: { raw in
            JPEGDecoder.work(raw!.assumingMemoryBound(to: Job.self))
            return nil
        }) else {
            throw ImageError.jpeg(file: file, message: "could not start the decoding thread")
        }

        let result = job.pointee
        // Running out of data explains whatever libjpeg complained about afterwards.
        if session.pointee.ranPastEnd {
            let cause = session.pointee.errorText.map { " (libjpeg: \($0))" } ?? ""
            throw ImageError.truncated(file: file, detail: "JPEG data ends before the image does" + cause)
        }
        if let message = session.pointee.errorText { throw ImageError.jpeg(file: file, message: message) }
        if result.tooLarge { throw ImageError.tooLarge(file: file, width: result.width, height: result.height) }
        if result.unsupportedComponents != 0 {
            throw ImageError.unsupported(file: file, detail: "JPEG with \(result.unsupportedComponents) colour components")
        }
        if let warning = session.pointee.corruptionText { throw ImageError.corruptData(file: file, detail: "JPEG: \(warning)") }
        guard result.finished, let pixels = result.pixels else {
            throw ImageError.jpeg(file: file, message: "decoding stopped unexpectedly")
        }
        return RGBImage(width: result.width, height: result.height) { out in
            out.baseAddress!.update(from: pixels, count: out.count)
        }
    }

    /// The worker: runs on its own thread, touches only the job's raw memory (so that an
    /// `error_exit` → `pthread_exit` in the middle leaves nothing behind).
    private static func work(_ job: UnsafeMutablePointer<Job>) {
        let cinfo = job.pointee.decompressor
        let session = job.pointee.session
        cinfo.pointee.err = LibJPEGSession.installErrorManager(job.pointee.errorManager)
        jpeg_CreateDecompress(cinfo, JPEG_LIB_VERSION, MemoryLayout<jpeg_decompress_struct>.size)
        cinfo.pointee.client_data = UnsafeMutableRawPointer(session)

        let source = job.pointee.source
        source.pointee.next_input_byte = job.pointee.input
        source.pointee.bytes_in_buffer = job.pointee.inputCount
        source.pointee.init_source = { _ in }
        source.pointee.term_source = { _ in }
        source.pointee.resync_to_restart = jpeg_resync_to_restart
        source.pointee.fill_input_buffer = { cinfo in
            // Only called once the whole input is consumed: feed an EOI so libjpeg winds down,
            // and remember that the data was short.
            let session = cinfo!.pointee.client_data!.assumingMemoryBound(to: LibJPEGSession.self)
            session.pointee.ranPastEnd = true
            cinfo!.pointee.src.pointee.next_input_byte = UnsafePointer(session.pointee.fakeEndOfImage)
            cinfo!.pointee.src.pointee.bytes_in_buffer = 2
            return 1
        }
        source.pointee.skip_input_data = { cinfo, count in
            let src = cinfo!.pointee.src!
            guard count > 0 else { return }
            if count > src.pointee.bytes_in_buffer {
                _ = src.pointee.fill_input_buffer(cinfo)
            } else {
                src.pointee.next_input_byte += count
                src.pointee.bytes_in_buffer -= count
            }
        }
        cinfo.pointee.src = source

        _ = jpeg_read_header(cinfo, 1)
        let width = Int(cinfo.pointee.image_width), height = Int(cinfo.pointee.image_height)
        job.pointee.width = width
        job.pointee.height = height
        guard width * height <= RGBImage.maximumPixelCount else {
            job.pointee.tooLarge = true
            return
        }
        let components = Int(cinfo.pointee.num_components)
        let colorSpace = cinfo.pointee.jpeg_color_space
        let outputComponents: Int
        if colorSpace == JCS_GRAYSCALE {
            cinfo.pointee.out_color_space = JCS_GRAYSCALE
            outputComponents = 1
        } else if colorSpace == JCS_CMYK || colorSpace == JCS_YCCK {
            cinfo.pointee.out_color_space = JCS_CMYK
            outputComponents = 4
        } else if components == 3 {
            cinfo.pointee.out_color_space = JCS_RGB
            outputComponents = 3
        } else {
            job.pointee.unsupportedComponents = components
            return
        }
        _ = jpeg_start_decompress(cinfo)
        guard let pixels = malloc(max(width * height * 3, 1))?.assumingMemoryBound(to: UInt8.self) else {
            LibJPEGSession.abort(session, "out of memory for the decoded pixels")
        }
        job.pointee.pixels = pixels
        guard let scratch = malloc(max(width * 4, 1))?.assumingMemoryBound(to: UInt8.self) else {
            LibJPEGSession.abort(session, "out of memory for the decoded pixels")
        }
        job.pointee.scratch = scratch
        while cinfo.pointee.output_scanline < cinfo.pointee.output_height {
            let y = Int(cinfo.pointee.output_scanline)
            let out = pixels + y * width * 3
            var row: JSAMPROW? = outputComponents == 3 ? out : scratch
            guard jpeg_read_scanlines(cinfo, &row, 1) == 1 else { break }
            switch outputComponents {
            case 1:
                for x in 0..<width {
                    let v = scratch[x]
                    out[3 * x] = v
                    out[3 * x + 1] = v
                    out[3 * x + 2] = v
                }
            case 4:
                for x in 0..<width { cmykToRGB(scratch + 4 * x, out + 3 * x) }
            default:
                break
            }
        }
        _ = jpeg_finish_decompress(cinfo)
        job.pointee.finished = true
    }

    /// PIL's `CMYK;I` unpacking (invert every channel) followed by its `cmyk2rgb`:
    /// `out = clip(nk - nk·c/255)` with `nk = 255 - k` and PIL's rounding `MULDIV255`.
    @inline(__always)
    static func cmykToRGB(_ cmyk: UnsafePointer<UInt8>, _ out: UnsafeMutablePointer<UInt8>) {
        let nk = Int(cmyk[3])  // 255 - (255 - k): the inversion and nk cancel
        for c in 0..<3 {
            let value = 255 - Int(cmyk[c])
            let t = value * nk + 128
            let scaled = ((t >> 8) + t) >> 8
            out[c] = UInt8(clamping: nk - scaled)
        }
    }
}
