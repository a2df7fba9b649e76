import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Finds and opens NVIDIA's shared libraries at run time, as the engine opens OpenBLAS: nothing
/// is linked, so a machine without CUDA never needs it.
///
/// Where it looks, in order: `DIFFSYNTH_CUDA_LIBRARY_PATH` (a colon-separated list of folders),
/// `CUDA_HOME` and `CUDA_PATH` (`lib64`, `lib`), `LD_LIBRARY_PATH`, `/usr/local/cuda/lib64`, the
/// system library folders, and Python's `site-packages/nvidia/*/lib` folders, which is where a
/// pip-installed PyTorch keeps cuBLAS and NVRTC (`nvidia/cu13/lib`, or `nvidia/cublas/lib` and
/// `nvidia/cuda_nvrtc/lib` for CUDA 12 wheels). The driver, `libcuda.so.1`, comes with the GPU's
/// kernel driver, never with pip: the dynamic loader's own search finds it.
public enum CUDALibraries {
    /// A library this backend uses.
    public enum Name: String, CaseIterable, Sendable {
        /// The driver API: contexts, memory, modules, launches.
        case driver = "libcuda"
        /// cuBLAS: matrix products.
        case cublas = "libcublas"
        /// cuBLASLt: fused matrix products (bias, activation epilogues).
        case cublasLt = "libcublasLt"
        /// NVRTC: compiles the kernels' CUDA C++ sources to PTX at run time.
        case nvrtc = "libnvrtc"

        /// File names to try, newest major version first; `libcuda` only as the driver installs it.
        var fileNames: [String] {
            switch self {
            case .driver: return ["libcuda.so.1", "libcuda.so"]
            case .cublas, .cublasLt, .nvrtc: return ["13", "12", "11"].map { "\(rawValue).so.\($0)" } + ["\(rawValue).so"]
            }
        }
    }

    /// An opened library: its `dlopen` handle and the file that was loaded.
    public struct Opened: @unchecked Sendable {
        /// The `dlopen` handle (never closed).
        public let handle: UnsafeMutableRawPointer
        /// The path loaded, or the bare file name where the dynamic loader's own search found it.
        public let path: String

        /// The address of `symbol`, or an error naming the library and the symbol.
        public func symbol(_ symbol: String) throws -> UnsafeMutableRawPointer {
            guard let address = dlsym(handle, symbol) else { throw CUDABackendError.missingSymbol(library: path, symbol: symbol) }
            return address
        }
    }

    /// The folders searched, in order, for this environment (duplicates and missing folders removed).
    public static func searchFolders(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        var folders: [String] = []
        func list(_ value: String?) -> [String] { (value ?? "").split(separator: ":").map(String.init).filter { !$0.isEmpty } }
        folders += list(environment["DIFFSYNTH_CUDA_LIBRARY_PATH"])
        for key in ["CUDA_HOME", "CUDA_PATH"] {
            if let root = environment[key], !root.isEmpty { folders += [root + "/lib64", root + "/lib"] }
        }
        folders += list(environment["LD_LIBRARY_PATH"])
        folders += ["/usr/local/cuda/lib64", "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib"]
        folders += pythonNVIDIAFolders(environment: environment)
        var seen = Set<String>()
        return folders.filter { seen.insert($0).inserted && isDirectory($0) }
    }

    /// `…/site-packages/nvidia/*/lib` under every Python this machine is likely to have: the
    /// active virtual environment or conda, `python3` on the system, `~/.local`, and pyenv.
    static func pythonNVIDIAFolders(environment: [String: String]) -> [String] {
        var prefixes: [String] = []
        for key in ["VIRTUAL_ENV", "CONDA_PREFIX"] { if let p = environment[key], !p.isEmpty { prefixes.append(p) } }
        let home = environment["HOME"] ?? NSHomeDirectory()
        prefixes += ["/usr/local", "/usr", home + "/.local", "/opt/conda"]
        prefixes += children(of: home + "/.pyenv/versions")
        var packageFolders: [String] = []
        for prefix in prefixes {
            for python in children(of: prefix + "/lib") where URL(fileURLWithPath: python).lastPathComponent.hasPrefix("python3") {
                packageFolders += [python + "/site-packages", python + "/dist-packages"]
            }
        }
        packageFolders.append("/usr/lib/python3/dist-packages")
        return packageFolders.flatMap { children(of: $0 + "/nvidia").map { $0 + "/lib" } }
    }

    /// Opens `name` from the first folder of ``searchFolders(environment:)`` that has it (for
    /// the driver: from the dynamic loader's own search first).
    ///
    /// - Throws: ``CUDABackendError/libraryNotFound(name:fileNames:searched:)`` naming every folder looked in.
    public static func open(_ name: Name, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Opened {
        if name == .driver {
            for file in name.fileNames { if let handle = dlopen(file, RTLD_NOW | RTLD_GLOBAL) { return Opened(handle: handle, path: file) } }
        }
        let folders = searchFolders(environment: environment)
        var searched = (name == .driver ? ["the dynamic loader's path"] : []) + folders
        for folder in folders {
            for file in name.fileNames {
                let path = folder + "/" + file
                guard FileManager.default.fileExists(atPath: path) else { continue }
                if let handle = dlopen(path, RTLD_NOW | RTLD_GLOBAL) { return Opened(handle: handle, path: path) }
                // Found but unloadable (wrong architecture, a missing dependency): say so, keep looking.
                searched.append("\(path) exists but could not be loaded: \(dlerror().map { String(cString: $0) } ?? "unknown error")")
            }
        }
        throw CUDABackendError.libraryNotFound(name: name.rawValue, fileNames: name.fileNames, searched: searched)
    }

    private static func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }

    private static func children(of folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted().map { folder + "/" + $0 }
    }
}
