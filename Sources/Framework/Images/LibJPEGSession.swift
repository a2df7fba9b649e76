import CJPEG
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What libjpeg reported during one decode or encode, plus the callbacks that report it.
///
/// libjpeg's fatal-error hook (`error_exit`) must not return, and the default one calls
/// `exit()`. The usual fix, `setjmp`/`longjmp`, is unavailable in Swift and a C shim would need
/// a new package target. Instead every libjpeg job runs on a thread of its own
/// (``LibJPEGSession/run(_:entry:)``) and `error_exit` records the message and calls
/// `pthread_exit`: glibc unwinds that thread's stack (the frames belong to libjpeg and to our
/// job function, which holds only raw pointers, so nothing is leaked or left locked) and the
/// caller, waiting in `pthread_join`, then destroys the libjpeg object — libjpeg's documented
/// recovery after an error — and throws.
///
/// The session lives in manually allocated memory that outlives the worker thread; libjpeg
/// reaches it through `client_data`.
struct LibJPEGSession {
    /// Set by `error_exit`.
    var failed = false
    /// libjpeg's message for the fatal error, NUL-terminated.
    var message: UnsafeMutablePointer<CChar>
    /// Set when libjpeg warns that the entropy-coded data is corrupt (see ``isDataCorruption(_:)``).
    var sawCorruption = false
    var corruptionMessage: UnsafeMutablePointer<CChar>
    /// Set by the source manager when libjpeg asked for bytes past the end of the input.
    var ranPastEnd = false
    /// A fake EOI marker handed to libjpeg at the end of the input (what jdatasrc.c does).
    var fakeEndOfImage: UnsafeMutablePointer<UInt8>
    /// The encoder's output: a malloc'd buffer grown by the destination manager, freed by
    /// ``deallocate(_:)``. (libjpeg's own `jpeg_mem_dest` cannot be used: after an error its
    /// buffer pointer may already have been freed.)
    var output: UnsafeMutablePointer<UInt8>?
    var outputCapacity = 0
    var outputCount = 0

    static let messageCapacity = Int(JMSG_LENGTH_MAX)

    /// Allocates a session; release it with ``deallocate(_:)``.
    static func allocate() -> UnsafeMutablePointer<LibJPEGSession> {
        let message = UnsafeMutablePointer<CChar>.allocate(capacity: messageCapacity)
        let corruption = UnsafeMutablePointer<CChar>.allocate(capacity: messageCapacity)
        message.initialize(repeating: 0, count: messageCapacity)
        corruption.initialize(repeating: 0, count: messageCapacity)
        let eoi = UnsafeMutablePointer<UInt8>.allocate(capacity: 2)
        eoi[0] = 0xFF
        eoi[1] = 0xD9
        let session = UnsafeMutablePointer<LibJPEGSession>.allocate(capacity: 1)
        session.initialize(to: LibJPEGSession(message: message, corruptionMessage: corruption, fakeEndOfImage: eoi))
        return session
    }

    static func deallocate(_ session: UnsafeMutablePointer<LibJPEGSession>) {
        session.pointee.message.deallocate()
        session.pointee.corruptionMessage.deallocate()
        session.pointee.fakeEndOfImage.deallocate()
        free(session.pointee.output)
        session.deinitialize(count: 1)
        session.deallocate()
    }

    /// The fatal error message, if any.
    var errorText: String? { failed ? String(cString: message) : nil }

    /// The first data-corruption warning, if any.
    var corruptionText: String? { sawCorruption ? String(cString: corruptionMessage) : nil }

    /// Ends the worker thread with our own fatal error (e.g. out of memory in a callback).
    static func abort(_ session: UnsafeMutablePointer<LibJPEGSession>, _ message: StaticString) -> Never {
        let count = min(message.utf8CodeUnitCount, messageCapacity - 1)
        message.utf8Start.withMemoryRebound(to: CChar.self, capacity: count) { text in
            session.pointee.message.update(from: text, count: count)
        }
        session.pointee.message[count] = 0
        session.pointee.failed = true
        pthread_exit(nil)
    }

    /// Installs the standard error manager with our hooks into `manager`.
    static func installErrorManager(_ manager: UnsafeMutablePointer<jpeg_error_mgr>) -> UnsafeMutablePointer<jpeg_error_mgr> {
        let result = jpeg_std_error(manager)!
        manager.pointee.error_exit = { common in
            guard let common, let session = common.pointee.client_data?.assumingMemoryBound(to: LibJPEGSession.self) else {
                pthread_exit(nil)
            }
            common.pointee.err.pointee.format_message(common, session.pointee.message)
            session.pointee.failed = true
            pthread_exit(nil)
        }
        // libjpeg prints warnings to stderr by default; we collect them instead.
        manager.pointee.output_message = { _ in }
        manager.pointee.emit_message = { common, level in
            guard let common, level < 0 else { return }  // level >= 0: trace messages
            common.pointee.err.pointee.num_warnings += 1
            guard let session = common.pointee.client_data?.assumingMemoryBound(to: LibJPEGSession.self),
                  !session.pointee.sawCorruption else { return }
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: LibJPEGSession.messageCapacity)
            defer { buffer.deallocate() }
            common.pointee.err.pointee.format_message(common, buffer)
            let text = String(cString: buffer)
            if LibJPEGSession.isDataCorruption(text) {
                session.pointee.sawCorruption = true
                session.pointee.corruptionMessage.update(from: buffer, count: LibJPEGSession.messageCapacity)
            }
        }
        return result
    }

    /// Whether a libjpeg warning means the image content is damaged. libjpeg carries on
    /// after these, filling the damaged region with grey or garbage (and PIL silently accepts the
    /// result); for training data we would rather refuse the file. Harmless warnings — extraneous
    /// bytes between markers, unknown JFIF versions, odd Adobe transforms, bad ICC data — pass.
    static func isDataCorruption(_ warning: String) -> Bool {
        if warning.hasPrefix("Premature end of JPEG file") { return true }
        guard warning.hasPrefix("Corrupt JPEG data") else { return false }
        return !warning.contains("extraneous bytes")
    }

    /// Runs `entry(context)` on a new thread and waits for it to finish or to be ended by
    /// libjpeg's `error_exit`.
    ///
    /// - Returns: false if the thread could not be created.
    static func run(_ context: UnsafeMutableRawPointer,
                    entry: @convention(c) (UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer?) -> Bool {
        #if canImport(Darwin)
        var thread: pthread_t?
        guard pthread_create(&thread, nil, entry, context) == 0, let thread else { return false }
        #else
        var thread = pthread_t()
        guard pthread_create(&thread, nil, entry, context) == 0 else { return false }
        #endif
        pthread_join(thread, nil)
        return true
    }
}
