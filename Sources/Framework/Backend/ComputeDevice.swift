/// Where a command's tensors live and its operations run (`--device cpu|cuda`).
///
/// The CPU is the engine as it is. CUDA is opened at run time — the driver (`libcuda.so.1`),
/// cuBLAS and NVRTC found by ``CUDALibraries`` — so one binary runs everywhere, and a machine
/// without a GPU never needs a CUDA library.
public enum ComputeDevice: String, Sendable, CaseIterable, CustomStringConvertible {
    /// OpenBLAS and the engine's own kernels.
    case cpu
    /// An NVIDIA GPU through the CUDA driver API, cuBLAS and NVRTC-compiled kernels.
    case cuda

    public var description: String { rawValue }
}
