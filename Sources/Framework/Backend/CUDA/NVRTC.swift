import Foundation

/// NVIDIA's run-time compiler: CUDA C++ kernel sources to PTX, which the driver turns into code
/// for the GPU it runs on. It needs no GPU itself, so kernel sources are checked on any machine
/// that has the library (a pip-installed PyTorch brings it).
public final class NVRTC: @unchecked Sendable {
    private typealias Version = @convention(c) (UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int32>) -> Int32
    private typealias CreateProgram = @convention(c) (UnsafeMutablePointer<OpaquePointer?>, UnsafePointer<CChar>, UnsafePointer<CChar>, Int32,
                                                      UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<UnsafePointer<CChar>?>?) -> Int32
    private typealias CompileProgram = @convention(c) (OpaquePointer?, Int32, UnsafePointer<UnsafePointer<CChar>?>?) -> Int32
    private typealias GetSize = @convention(c) (OpaquePointer?, UnsafeMutablePointer<Int>) -> Int32
    private typealias GetText = @convention(c) (OpaquePointer?, UnsafeMutablePointer<CChar>) -> Int32
    private typealias DestroyProgram = @convention(c) (UnsafeMutablePointer<OpaquePointer?>) -> Int32
    private typealias ErrorString = @convention(c) (Int32) -> UnsafePointer<CChar>?

    /// The library that was opened.
    public let library: CUDALibraries.Opened
    /// NVRTC's `(major, minor)` version.
    public let version: (major: Int, minor: Int)

    private let createProgram: CreateProgram
    private let compileProgram: CompileProgram
    private let logSize: GetSize, log: GetText, ptxSize: GetSize, ptx: GetText
    private let destroyProgram: DestroyProgram
    private let errorString: ErrorString

    /// Opens NVRTC (see ``CUDALibraries`` for where it looks).
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let lib = try CUDALibraries.open(.nvrtc, environment: environment)
        library = lib
        func load<T>(_ name: String, as type: T.Type) throws -> T { unsafeBitCast(try lib.symbol(name), to: type) }
        createProgram = try load("nvrtcCreateProgram", as: CreateProgram.self)
        compileProgram = try load("nvrtcCompileProgram", as: CompileProgram.self)
        logSize = try load("nvrtcGetProgramLogSize", as: GetSize.self)
        log = try load("nvrtcGetProgramLog", as: GetText.self)
        ptxSize = try load("nvrtcGetPTXSize", as: GetSize.self)
        ptx = try load("nvrtcGetPTX", as: GetText.self)
        destroyProgram = try load("nvrtcDestroyProgram", as: DestroyProgram.self)
        errorString = try load("nvrtcGetErrorString", as: ErrorString.self)
        var major: Int32 = 0, minor: Int32 = 0
        _ = try load("nvrtcVersion", as: Version.self)(&major, &minor)
        version = (Int(major), Int(minor))
    }

    /// Compiles `source` for `architecture` (e.g. `compute_90`), returning the PTX text.
    ///
    /// - Parameters:
    ///   - name: the source's name in compiler messages (e.g. `elementwise.cu`).
    ///   - options: extra NVRTC options; `--gpu-architecture` and `-default-device` are always given.
    /// - Throws: ``CUDABackendError/compilation(kernel:architecture:log:)`` with the compiler's log.
    public func compile(_ source: String, name: String, architecture: String, options: [String] = []) throws -> String {
        var program: OpaquePointer?
        try check(source.withCString { s in name.withCString { n in createProgram(&program, s, n, 0, nil, nil) } }, "nvrtcCreateProgram")
        defer { _ = destroyProgram(&program) }
        let all = ["--gpu-architecture=\(architecture)", "-default-device", "--std=c++17"] + options
        let cStrings = all.map { strdup($0) }
        defer { cStrings.forEach { free($0) } }
        let pointers = cStrings.map { UnsafePointer<CChar>($0) }
        let result = pointers.withUnsafeBufferPointer { compileProgram(program, Int32(all.count), $0.baseAddress) }
        if result != 0 {
            throw CUDABackendError.compilation(kernel: name, architecture: architecture, log: text(program, size: logSize, get: log))
        }
        return text(program, size: ptxSize, get: ptx)
    }

    /// NVRTC's text output (log or PTX) of a program, without its trailing NUL.
    private func text(_ program: OpaquePointer?, size: GetSize, get: GetText) -> String {
        var count = 0
        guard size(program, &count) == 0, count > 1 else { return "" }
        var buffer = [CChar](repeating: 0, count: count)
        guard get(program, &buffer) == 0 else { return "" }
        return String(decoding: buffer.prefix(count - 1).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func check(_ result: Int32, _ function: String) throws {
        guard result != 0 else { return }
        throw CUDABackendError.call(function: function, code: result, message: errorString(result).map { String(cString: $0) } ?? "unknown")
    }
}
