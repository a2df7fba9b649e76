/// Why the CUDA backend could not start or run; each case names the library, symbol, kernel or
/// device at fault.
public enum CUDABackendError: Error, CustomStringConvertible, Equatable {
    /// None of `fileNames` was found in `searched`.
    case libraryNotFound(name: String, fileNames: [String], searched: [String])
    /// The library lacks a function this backend calls (too old a version).
    case missingSymbol(library: String, symbol: String)
    /// A CUDA driver, cuBLAS or NVRTC call returned an error code.
    case call(function: String, code: Int32, message: String)
    /// NVRTC rejected a kernel source; `log` is its compiler output.
    case compilation(kernel: String, architecture: String, log: String)
    /// The driver loaded but sees no GPU.
    case noDevice(driver: String)

    public var description: String {
        switch self {
        case .libraryNotFound(let name, let fileNames, let searched):
            return "CUDA: \(name) not found (looked for \(fileNames.joined(separator: ", ")) in "
                + (searched.isEmpty ? "no existing folder" : searched.joined(separator: ", "))
                + "). Install the NVIDIA driver and CUDA libraries (or `pip install torch`, whose nvidia/*/lib folders are searched), "
                + "set CUDA_HOME or DIFFSYNTH_CUDA_LIBRARY_PATH, or use --device cpu"
        case .missingSymbol(let library, let symbol): return "CUDA: \(library) has no function \(symbol) (too old a version?)"
        case .call(let function, let code, let message): return "CUDA: \(function) failed with \(code) (\(message))"
        case .compilation(let kernel, let architecture, let log):
            return "CUDA: NVRTC could not compile kernel source '\(kernel)' for \(architecture):\n\(log)"
        case .noDevice(let driver): return "CUDA: the driver (\(driver)) reports no GPU; use --device cpu"
        }
    }
}
