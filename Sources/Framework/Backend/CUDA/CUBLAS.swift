import Foundation

/// cuBLAS's single-precision matrix product, the one call the backend makes so far.
public final class CUBLAS: @unchecked Sendable {
    private typealias Create = @convention(c) (UnsafeMutablePointer<OpaquePointer?>) -> Int32
    private typealias Sgemm = @convention(c) (OpaquePointer?, Int32, Int32, Int32, Int32, Int32, UnsafePointer<Float>, UInt64, Int32,
                                              UInt64, Int32, UnsafePointer<Float>, UInt64, Int32) -> Int32

    /// The library that was opened.
    public let library: CUDALibraries.Opened
    private let handle: OpaquePointer?
    private let sgemm: Sgemm

    /// Opens cuBLAS and creates a handle on the current context (the driver's, made current first).
    public init(driver: CUDADriver, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let lib = try CUDALibraries.open(.cublas, environment: environment)
        library = lib
        try driver.makeCurrent()
        var handle: OpaquePointer?
        let status = unsafeBitCast(try lib.symbol("cublasCreate_v2"), to: Create.self)(&handle)
        guard status == 0 else { throw CUDABackendError.call(function: "cublasCreate_v2", code: status, message: "cuBLAS status") }
        self.handle = handle
        sgemm = unsafeBitCast(try lib.symbol("cublasSgemm_v2"), to: Sgemm.self)
    }

    /// Row-major `C[m, n] = A[m, k] · B[k, n]` on device memory. cuBLAS is column-major, so it
    /// computes `Cᵀ = Bᵀ · Aᵀ`, which is the same bytes.
    public func gemm(m: Int, n: Int, k: Int, a: CUDADriver.DevicePointer, b: CUDADriver.DevicePointer, c: CUDADriver.DevicePointer) throws {
        var alpha: Float = 1, beta: Float = 0
        let status = sgemm(handle, 0, 0, Int32(n), Int32(m), Int32(k), &alpha, b, Int32(n), a, Int32(k), &beta, c, Int32(n))
        guard status == 0 else { throw CUDABackendError.call(function: "cublasSgemm_v2", code: status, message: "cuBLAS status") }
    }
}
