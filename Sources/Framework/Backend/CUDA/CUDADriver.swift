import Foundation

/// The CUDA driver API (`libcuda.so.1`), the calls this backend makes and nothing more: devices,
/// the primary context, device memory, PTX modules and kernel launches.
///
/// Opened at run time; `init` fails with an error naming what was looked for on a machine
/// without the NVIDIA driver, and with ``CUDABackendError/noDevice(driver:)`` where the driver sees no GPU.
public final class CUDADriver: @unchecked Sendable {
    /// A device address (`CUdeviceptr`).
    public typealias DevicePointer = UInt64

    private typealias Init = @convention(c) (UInt32) -> Int32
    private typealias GetCount = @convention(c) (UnsafeMutablePointer<Int32>) -> Int32
    private typealias GetDevice = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    private typealias GetName = @convention(c) (UnsafeMutablePointer<CChar>, Int32, Int32) -> Int32
    private typealias GetAttribute = @convention(c) (UnsafeMutablePointer<Int32>, Int32, Int32) -> Int32
    private typealias RetainContext = @convention(c) (UnsafeMutablePointer<OpaquePointer?>, Int32) -> Int32
    private typealias SetContext = @convention(c) (OpaquePointer?) -> Int32
    private typealias LoadData = @convention(c) (UnsafeMutablePointer<OpaquePointer?>, UnsafeRawPointer) -> Int32
    private typealias GetFunction = @convention(c) (UnsafeMutablePointer<OpaquePointer?>, OpaquePointer?, UnsafePointer<CChar>) -> Int32
    private typealias Allocate = @convention(c) (UnsafeMutablePointer<UInt64>, Int) -> Int32
    private typealias Free = @convention(c) (UInt64) -> Int32
    private typealias CopyToDevice = @convention(c) (UInt64, UnsafeRawPointer, Int) -> Int32
    private typealias CopyToHost = @convention(c) (UnsafeMutableRawPointer, UInt64, Int) -> Int32
    private typealias Launch = @convention(c) (OpaquePointer?, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, OpaquePointer?,
                                               UnsafeMutablePointer<UnsafeMutableRawPointer?>?, UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Int32
    private typealias Synchronize = @convention(c) () -> Int32
    private typealias ErrorString = @convention(c) (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>) -> Int32

    /// The library that was opened.
    public let library: CUDALibraries.Opened
    /// The GPU in use (device 0, or `DIFFSYNTH_CUDA_DEVICE`).
    public let device: Int32
    /// Its name, e.g. "NVIDIA H100 80GB HBM3".
    public let deviceName: String
    /// Its compute capability, e.g. (9, 0).
    public let computeCapability: (major: Int, minor: Int)
    /// The NVRTC architecture for it, e.g. `compute_90`.
    public var architecture: String { "compute_\(computeCapability.major)\(computeCapability.minor)" }

    private let context: OpaquePointer?
    private let setContext: SetContext
    private let loadData: LoadData, getFunction: GetFunction
    private let memAlloc: Allocate, memFree: Free, copyToDevice: CopyToDevice, copyToHost: CopyToHost
    private let launch: Launch, synchronize: Synchronize
    private let errorString: ErrorString

    /// Opens the driver, initialises it and makes the device's primary context current.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        library = try CUDALibraries.open(.driver, environment: environment)
        let lib = library
        func load<T>(_ name: String, as type: T.Type) throws -> T { unsafeBitCast(try lib.symbol(name), to: type) }
        let errorString = try load("cuGetErrorString", as: ErrorString.self)
        self.errorString = errorString
        // `self.check` needs every property set; until then the same check through the static form.
        func check(_ result: Int32, _ function: String) throws { try Self.check(result, function, errorString: errorString) }
        try check(try load("cuInit", as: Init.self)(0), "cuInit")
        var count: Int32 = 0
        try check(try load("cuDeviceGetCount", as: GetCount.self)(&count), "cuDeviceGetCount")
        guard count > 0 else { throw CUDABackendError.noDevice(driver: lib.path) }
        let ordinal = Int32(environment["DIFFSYNTH_CUDA_DEVICE"] ?? "0") ?? 0
        var device: Int32 = 0
        try check(try load("cuDeviceGet", as: GetDevice.self)(&device, min(max(ordinal, 0), count - 1)), "cuDeviceGet")
        self.device = device
        var name = [CChar](repeating: 0, count: 256)
        try check(try load("cuDeviceGetName", as: GetName.self)(&name, 256, device), "cuDeviceGetName")
        deviceName = String(cString: name)
        let attribute = try load("cuDeviceGetAttribute", as: GetAttribute.self)
        var major: Int32 = 0, minor: Int32 = 0
        // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75, _MINOR = 76.
        try check(attribute(&major, 75, device), "cuDeviceGetAttribute")
        try check(attribute(&minor, 76, device), "cuDeviceGetAttribute")
        computeCapability = (Int(major), Int(minor))
        var context: OpaquePointer?
        try check(try load("cuDevicePrimaryCtxRetain", as: RetainContext.self)(&context, device), "cuDevicePrimaryCtxRetain")
        self.context = context
        setContext = try load("cuCtxSetCurrent", as: SetContext.self)
        try check(setContext(context), "cuCtxSetCurrent")
        loadData = try load("cuModuleLoadData", as: LoadData.self)
        getFunction = try load("cuModuleGetFunction", as: GetFunction.self)
        memAlloc = try load("cuMemAlloc_v2", as: Allocate.self)
        memFree = try load("cuMemFree_v2", as: Free.self)
        copyToDevice = try load("cuMemcpyHtoD_v2", as: CopyToDevice.self)
        copyToHost = try load("cuMemcpyDtoH_v2", as: CopyToHost.self)
        launch = try load("cuLaunchKernel", as: Launch.self)
        synchronize = try load("cuCtxSynchronize", as: Synchronize.self)
    }

    func check(_ result: Int32, _ function: String) throws { try Self.check(result, function, errorString: errorString) }

    /// Throws ``CUDABackendError/call(function:code:message:)`` with the driver's message unless `result` is CUDA_SUCCESS.
    private static func check(_ result: Int32, _ function: String, errorString: ErrorString) throws {
        guard result != 0 else { return }
        var message: UnsafePointer<CChar>?
        _ = errorString(result, &message)
        throw CUDABackendError.call(function: function, code: result, message: message.map { String(cString: $0) } ?? "unknown")
    }

    /// Makes this device's context current on the calling thread (the driver's is per thread).
    public func makeCurrent() throws { try check(setContext(context), "cuCtxSetCurrent") }

    /// A loaded PTX module's kernels, by name.
    public func loadModule(ptx: String, kernels: [String]) throws -> [String: OpaquePointer] {
        try makeCurrent()
        var module: OpaquePointer?
        try ptx.withCString { try check(loadData(&module, $0), "cuModuleLoadData") }
        var functions: [String: OpaquePointer] = [:]
        for name in kernels {
            var function: OpaquePointer?
            try check(getFunction(&function, module, name), "cuModuleGetFunction(\(name))")
            functions[name] = function
        }
        return functions
    }

    /// `bytes` of device memory.
    public func allocate(bytes: Int) throws -> DevicePointer {
        var pointer: UInt64 = 0
        try check(memAlloc(&pointer, max(bytes, 1)), "cuMemAlloc(\(bytes) bytes)")
        return pointer
    }

    /// Frees what ``allocate(bytes:)`` returned.
    public func free(_ pointer: DevicePointer) { _ = memFree(pointer) }

    /// Copies `values` to the device at `pointer`.
    public func upload<T>(_ values: [T], to pointer: DevicePointer) throws {
        try values.withUnsafeBytes { try check(copyToDevice(pointer, $0.baseAddress!, $0.count), "cuMemcpyHtoD") }
    }

    /// `count` values read back from the device.
    public func download<T: Numeric>(_ pointer: DevicePointer, count: Int, as type: T.Type = T.self) throws -> [T] {
        var values = [T](repeating: 0, count: count)
        try values.withUnsafeMutableBytes { try check(copyToHost($0.baseAddress!, pointer, $0.count), "cuMemcpyDtoH") }
        return values
    }

    /// Launches `function` on a 1-D grid and waits for it. `arguments` are the kernel's parameters
    /// in order, each a device pointer, `Int32`, `Int64` or `Float`.
    public func launch(_ function: OpaquePointer, name: String, blocks: Int, threads: Int, arguments: [any BitwiseCopyable]) throws {
        let packed = Self.packedArguments(arguments)
        let storage = packed.map { bytes -> UnsafeMutableRawPointer in
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 8), alignment: 8)
            bytes.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
            return buffer
        }
        defer { storage.forEach { $0.deallocate() } }
        var parameters: [UnsafeMutableRawPointer?] = storage.map { $0 }
        try check(launch(function, UInt32(blocks), 1, 1, UInt32(threads), 1, 1, 0, nil, &parameters, nil), "cuLaunchKernel(\(name))")
        try check(synchronize(), "cuCtxSynchronize after \(name)")
    }

    /// Each kernel argument's own bytes, as `cuLaunchKernel`'s `kernelParams` points at them:
    /// the existential is opened, so a `UInt64` is its 8 bytes, not an existential container.
    static func packedArguments(_ arguments: [any BitwiseCopyable]) -> [[UInt8]] {
        func bytes<T: BitwiseCopyable>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value) { Array($0) } }
        return arguments.map { bytes($0) }
    }
}
