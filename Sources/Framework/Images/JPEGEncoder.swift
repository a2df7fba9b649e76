import CJPEG
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Encodes ``RGBImage`` as a baseline JFIF JPEG with libjpeg(-turbo): libjpeg's defaults
/// (4:2:0 chroma subsampling, islow DCT, standard tables scaled by `quality`), as PIL's
/// `save(..., "JPEG", quality=q)` uses them.
enum JPEGEncoder {
    struct Job {
        var compressor: UnsafeMutablePointer<jpeg_compress_struct>
        var errorManager: UnsafeMutablePointer<jpeg_error_mgr>
        var session: UnsafeMutablePointer<LibJPEGSession>
        var pixels: UnsafePointer<UInt8>
        var width: Int
        var height: Int
        var quality: Int
        var destination: UnsafeMutablePointer<jpeg_destination_mgr>
        var finished = false
    }

    static func encode(_ image: RGBImage, quality: Int, file: String) throws -> [UInt8] {
        guard (1...100).contains(quality) else {
            throw ImageError.invalidArgument("JPEG quality must be in 1...100, got \(quality)")
        }
        guard image.width > 0, image.height > 0, image.width <= 65500, image.height <= 65500 else {
            throw ImageError.writeFailed(file: file, reason: "JPEG cannot store a \(image.width)x\(image.height) image")
        }
        return try image.pixels.withUnsafeBufferPointer { pixels in
            let job = UnsafeMutablePointer<Job>.allocate(capacity: 1)
            let compressor = UnsafeMutablePointer<jpeg_compress_struct>.allocate(capacity: 1)
            let errorManager = UnsafeMutablePointer<jpeg_error_mgr>.allocate(capacity: 1)
            UnsafeMutableRawPointer(compressor).initializeMemory(as: UInt8.self, repeating: 0,
                                                                  count: MemoryLayout<jpeg_compress_struct>.size)
            UnsafeMutableRawPointer(errorManager).initializeMemory(as: UInt8.self, repeating: 0,
                                                                    count: MemoryLayout<jpeg_error_mgr>.size)
            let session = LibJPEGSession.allocate()
            let destination = UnsafeMutablePointer<jpeg_destination_mgr>.allocate(capacity: 1)
            UnsafeMutableRawPointer(destination).initializeMemory(as: UInt8.self, repeating: 0,
                                                                   count: MemoryLayout<jpeg_destination_mgr>.size)
            job.initialize(to: Job(compressor: compressor, errorManager: errorManager, session: session,
                                   pixels: pixels.baseAddress!, width: image.width, height: image.height,
                                   quality: quality, destination: destination))
            defer {
                jpeg_destroy_compress(compressor)
                destination.deallocate()
                compressor.deallocate()
                errorManager.deallocate()
                LibJPEGSession.deallocate(session)
                job.deinitialize(count: 1)
                job.deallocate()
            }
            guard LibJPEGSession.run(UnsafeMutableRawPointer(job), entry: { raw in
                JPEGEncoder.work(raw!.assumingMemoryBound(to: Job.self))
                return nil
            }) else {
                throw ImageError.writeFailed(file: file, reason: "could not start the JPEG encoding thread")
            }
            if let message = session.pointee.errorText { throw ImageError.writeFailed(file: file, reason: "libjpeg: \(message)") }
            guard job.pointee.finished, let bytes = session.pointee.output else {
                throw ImageError.writeFailed(file: file, reason: "JPEG encoding stopped unexpectedly")
            }
            return Array(UnsafeBufferPointer(start: bytes, count: session.pointee.outputCount))
        }
    }

    /// The worker thread's job; raw memory only (see ``LibJPEGSession``).
    private static func work(_ job: UnsafeMutablePointer<Job>) {
        let cinfo = job.pointee.compressor
        cinfo.pointee.err = LibJPEGSession.installErrorManager(job.pointee.errorManager)
        jpeg_CreateCompress(cinfo, JPEG_LIB_VERSION, MemoryLayout<jpeg_compress_struct>.size)
        cinfo.pointee.client_data = UnsafeMutableRawPointer(job.pointee.session)
        // A growable in-memory destination whose buffer the session owns.
        let destination = job.pointee.destination
        destination.pointee.init_destination = { cinfo in
            let session = cinfo!.pointee.client_data!.assumingMemoryBound(to: LibJPEGSession.self)
            let capacity = 1 << 16
            guard let buffer = malloc(capacity)?.assumingMemoryBound(to: UInt8.self) else {
                LibJPEGSession.abort(session, "out of memory for the JPEG output")
            }
            session.pointee.output = buffer
            session.pointee.outputCapacity = capacity
            cinfo!.pointee.dest.pointee.next_output_byte = buffer
            cinfo!.pointee.dest.pointee.free_in_buffer = capacity
        }
        destination.pointee.empty_output_buffer = { cinfo in
            // Called when the buffer is completely full.
            let session = cinfo!.pointee.client_data!.assumingMemoryBound(to: LibJPEGSession.self)
            let old = session.pointee.outputCapacity
            guard let grown = realloc(session.pointee.output, 2 * old)?.assumingMemoryBound(to: UInt8.self) else {
                LibJPEGSession.abort(session, "out of memory for the JPEG output")
            }
            session.pointee.output = grown
            session.pointee.outputCapacity = 2 * old
            cinfo!.pointee.dest.pointee.next_output_byte = grown + old
            cinfo!.pointee.dest.pointee.free_in_buffer = old
            return 1
        }
        destination.pointee.term_destination = { cinfo in
            let session = cinfo!.pointee.client_data!.assumingMemoryBound(to: LibJPEGSession.self)
            session.pointee.outputCount = session.pointee.outputCapacity - cinfo!.pointee.dest.pointee.free_in_buffer
        }
        cinfo.pointee.dest = destination
        cinfo.pointee.image_width = JDIMENSION(job.pointee.width)
        cinfo.pointee.image_height = JDIMENSION(job.pointee.height)
        cinfo.pointee.input_components = 3
        cinfo.pointee.in_color_space = JCS_RGB
        jpeg_set_defaults(cinfo)
        jpeg_set_quality(cinfo, Int32(job.pointee.quality), 1)
        jpeg_start_compress(cinfo, 1)
        let stride = job.pointee.width * 3
        while cinfo.pointee.next_scanline < cinfo.pointee.image_height {
            var row: JSAMPROW? = UnsafeMutablePointer(mutating: job.pointee.pixels + Int(cinfo.pointee.next_scanline) * stride)
            guard jpeg_write_scanlines(cinfo, &row, 1) == 1 else { break }
        }
        jpeg_finish_compress(cinfo)
        job.pointee.finished = true
    }
}
