import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A safetensors file opened for reading: the whole file memory-mapped, the header parsed and
/// validated up front, tensor data read lazily on request.
///
/// Opening validates everything about the layout (see ``SafetensorsError`` for what is
/// checked), so a file that opens can only fail later for a missing name or an unreadable
/// dtype. The mapping is private and read-only and is released when the object is deallocated.
/// Like every memory-mapped reader, truncating the file on disk while it is open makes later
/// reads of the lost pages fault (SIGBUS); replacing it by rename, as ``SafetensorsWriter``
/// does, is safe.
///
/// Names are compared as Swift strings, that is up to Unicode canonical equivalence: two names
/// that differ only in normalisation count as duplicates.
public final class SafetensorsFile: @unchecked Sendable {
    /// The file this object reads.
    public let url: URL
    /// The header's `__metadata__` (empty when absent).
    public let metadata: [String: String]
    /// All tensor names, sorted by UTF-8 bytes (the order of Python's `safe_open(...).keys()`).
    public let names: [String]
    /// File offset of the data buffer, `8 + header length`.
    public let dataStart: Int

    private let tensorInfos: [String: SafetensorsTensorInfo]
    /// Start of the mapping; immutable, so sharing the object between threads is safe.
    private let base: UnsafeRawPointer
    private let mappedByteCount: Int

    /// Opens, maps and validates the file at `url`.
    public init(url: URL) throws {
        let path = url.path
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw SafetensorsError.fromErrno(path: path, operation: "open") }
        // The mapping keeps the file's pages reachable after the descriptor is closed.
        defer { close(descriptor) }

        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw SafetensorsError.fromErrno(path: path, operation: "fstat") }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw SafetensorsError.ioFailure(path: path, operation: "open", reason: "not a regular file")
        }
        let size = Int(status.st_size)
        // mmap rejects length 0, and a file this short cannot hold the header length anyway.
        guard size >= 8 else { throw SafetensorsError.fileTooSmall(path: path, size: size) }

        guard let mapping = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0),
              mapping != UnsafeMutableRawPointer(bitPattern: -1) else {  // MAP_FAILED
            throw SafetensorsError.fromErrno(path: path, operation: "mmap")
        }
        let header: SafetensorsHeader
        do {
            header = try SafetensorsHeader(file: UnsafeRawBufferPointer(start: mapping, count: size), path: path)
        } catch {
            munmap(mapping, size)
            throw error
        }
        self.url = url
        self.metadata = header.metadata
        self.names = header.tensors.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        self.dataStart = header.dataStart
        self.tensorInfos = header.tensors
        self.base = UnsafeRawPointer(mapping)
        self.mappedByteCount = size
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: base), mappedByteCount)
    }

    /// Where tensor `name` is stored and how, or nil if there is no such tensor.
    public func info(_ name: String) -> SafetensorsTensorInfo? {
        tensorInfos[name]
    }

    /// Reads tensor `name` into a new Float32 ``Tensor``, widening the stored type.
    ///
    /// Reads F32, F16, BF16, F64, I64, U64, I32, U32, I16, U16, I8, U8, BOOL, F8_E4M3 and
    /// F8_E5M2 (``SafetensorsDType/isConvertibleToFloat32``). Conversions are exact except
    /// F64 (rounded to nearest) and integers beyond 2^24 in magnitude (I64, U64, I32, U32),
    /// which round to the nearest Float32 like `tensor.float()` in PyTorch.
    public func tensor(_ name: String) throws -> Tensor {
        let info = try requireInfo(name)
        guard info.dtype.isConvertibleToFloat32 else {
            throw SafetensorsError.unsupportedDType(path: url.path, tensor: name, dtype: info.dtype)
        }
        let storage = TensorStorage(uninitializedCount: info.elementCount)
        SafetensorsWidening.widen(info.dtype, from: base + dataStart + info.dataOffsets.lowerBound,
                                  count: info.elementCount, into: storage.pointer)
        return Tensor(shape: info.shape, storage: storage)
    }

    /// The stored bytes of tensor `name`, without conversion (little-endian, row-major).
    ///
    /// The buffer points into the file mapping: it stays valid only while this object is alive,
    /// so keep a reference to the file for as long as the buffer is used.
    public func rawBytes(_ name: String) throws -> UnsafeRawBufferPointer {
        let info = try requireInfo(name)
        return UnsafeRawBufferPointer(start: base + dataStart + info.dataOffsets.lowerBound, count: info.byteCount)
    }

    private func requireInfo(_ name: String) throws -> SafetensorsTensorInfo {
        guard let info = tensorInfos[name] else { throw SafetensorsError.tensorNotFound(path: url.path, name: name) }
        return info
    }
}
