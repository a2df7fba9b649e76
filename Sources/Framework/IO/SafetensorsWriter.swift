import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes Float32 tensors to a safetensors file, storing each as F32, F16 or BF16.
///
/// The bytes match `safetensors.torch.save_file` for the same tensors, dtypes and metadata:
/// tensors ordered by the reference crate's dtype order descending, then by name (UTF-8
/// bytes); compact JSON escaped as `serde_json` does; header padded with spaces to a multiple
/// of 8 bytes; `__metadata__` omitted when empty. Narrowing rounds to nearest-even like
/// `tensor.half()` / `tensor.bfloat16()`. The one difference: Python orders `__metadata__`
/// keys arbitrarily (a Rust `HashMap`), this writer sorts them, so files with two or more
/// metadata keys are equal as JSON but not byte for byte.
///
/// The write is atomic: the file is written to a temporary sibling, flushed to disk, then
/// renamed over the destination. On any error the destination is untouched and the temporary
/// file removed; inputs are validated before anything is created.
public enum SafetensorsWriter {
    /// One tensor to write, with the type to store it as.
    public struct Entry: Sendable {
        /// The tensor's name in the file; non-empty and unique.
        public var name: String
        /// The values to write.
        public var tensor: Tensor
        /// The stored type: `.f32`, `.f16` or `.bf16`.
        public var dtype: SafetensorsDType

        /// An entry storing `tensor` under `name` as `dtype`.
        public init(name: String, tensor: Tensor, dtype: SafetensorsDType = .f32) {
            self.name = name
            self.tensor = tensor
            self.dtype = dtype
        }
    }

    /// Writes `tensors`, all stored as `dtype`, with `metadata` as `__metadata__`, to `url`.
    public static func write(_ tensors: [(name: String, tensor: Tensor)], dtype: SafetensorsDType = .f32,
                             metadata: [String: String] = [:], to url: URL) throws {
        try write(tensors.map { Entry(name: $0.name, tensor: $0.tensor, dtype: dtype) }, metadata: metadata, to: url)
    }

    /// Writes `entries`, each stored as its own dtype, with `metadata` as `__metadata__`, to `url`.
    ///
    /// Throws ``SafetensorsError/emptyName(path:)``, ``SafetensorsError/duplicateName(path:name:)``
    /// or ``SafetensorsError/unsupportedWriteDType(path:tensor:dtype:)`` before touching the disk,
    /// and ``SafetensorsError/ioFailure(path:operation:reason:)`` if writing fails.
    public static func write(_ entries: [Entry], metadata: [String: String] = [:], to url: URL) throws {
        let path = url.path
        let ordered = try layoutOrder(entries, path: path)
        let header = encodeHeader(ordered, metadata: metadata)
        guard header.count <= SafetensorsHeader.maximumLength else {
            throw SafetensorsError.headerTooLarge(path: path, length: UInt64(header.count))
        }
        try writeAtomically(to: url) { file in
            var length = UInt64(header.count).littleEndian
            try withUnsafeBytes(of: &length) { try file.write($0) }
            try header.withUnsafeBytes { try file.write($0) }
            for entry in ordered { try writeData(of: entry, to: file) }
        }
    }

    // MARK: - Layout and header

    /// Validates the entries and sorts them as the reference crate does: dtype order
    /// descending, then name.
    static func layoutOrder(_ entries: [Entry], path: String) throws -> [Entry] {
        var seen = Set<String>()
        for entry in entries {
            guard !entry.name.isEmpty else { throw SafetensorsError.emptyName(path: path) }
            guard entry.name != "__metadata__" else {
                throw SafetensorsError.invalidHeader(path: path, tensor: entry.name, reason: "the name '__metadata__' is reserved")
            }
            guard seen.insert(entry.name).inserted else { throw SafetensorsError.duplicateName(path: path, name: entry.name) }
            guard entry.dtype.isWritable else {
                throw SafetensorsError.unsupportedWriteDType(path: path, tensor: entry.name, dtype: entry.dtype)
            }
        }
        return entries.sorted { left, right in
            let (l, r) = (left.dtype.layoutRank, right.dtype.layoutRank)
            return l != r ? l > r : left.name.utf8.lexicographicallyPrecedes(right.name.utf8)
        }
    }

    /// The header JSON exactly as `serde_json` renders the reference crate's `Metadata`,
    /// space-padded to a multiple of 8 bytes.
    static func encodeHeader(_ ordered: [Entry], metadata: [String: String]) -> [UInt8] {
        var json: [UInt8] = [UInt8(ascii: "{")]
        var needsComma = false
        if !metadata.isEmpty {
            appendJSONString("__metadata__", to: &json)
            json.append(contentsOf: Array(":{".utf8))
            let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (index, key) in keys.enumerated() {
                if index > 0 { json.append(UInt8(ascii: ",")) }
                appendJSONString(key, to: &json)
                json.append(UInt8(ascii: ":"))
                appendJSONString(metadata[key]!, to: &json)
            }
            json.append(UInt8(ascii: "}"))
            needsComma = true
        }
        var offset = 0
        for entry in ordered {
            if needsComma { json.append(UInt8(ascii: ",")) }
            needsComma = true
            let byteCount = entry.tensor.count * entry.dtype.bitSize / 8
            appendJSONString(entry.name, to: &json)
            let shape = entry.tensor.shape.map(String.init).joined(separator: ",")
            json.append(contentsOf: Array(":{\"dtype\":\"\(entry.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + byteCount)]}".utf8))
            offset += byteCount
        }
        json.append(UInt8(ascii: "}"))
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        return json
    }

    /// Appends `text` as a JSON string escaped like `serde_json`: `"` and `\`, the short forms
    /// `\b \f \n \r \t`, other control characters as lowercase `\u00xx`; everything else,
    /// including `/`, DEL and non-ASCII, as raw UTF-8.
    static func appendJSONString(_ text: String, to json: inout [UInt8]) {
        json.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): json.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): json.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: json.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: json.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0A: json.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: json.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: json.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                json.append(contentsOf: Array("\\u00".utf8))
                json.append(hex[Int(byte >> 4)])
                json.append(hex[Int(byte & 0xF)])
            default: json.append(byte)
            }
        }
        json.append(UInt8(ascii: "\""))
    }

    // MARK: - Data

    /// Elements narrowed per `write` call: bounds the scratch buffer at 2 MiB.
    private static let chunkElements = 1 << 20

    private static func writeData(of entry: Entry, to file: TemporaryFile) throws {
        let source = entry.tensor.storage.pointer
        let count = entry.tensor.count
        switch entry.dtype {
        case .f32:
            // Float32 is stored as is: both supported platforms are little-endian.
            try file.write(UnsafeRawBufferPointer(start: source, count: count * 4))
        case .f16, .bf16:
            let scratch = UnsafeMutablePointer<UInt16>.allocate(capacity: min(count, chunkElements))
            defer { scratch.deallocate() }
            var start = 0
            while start < count {
                let end = min(start + chunkElements, count)
                if entry.dtype == .f16 {
                    for i in start..<end { scratch[i - start] = ReducedPrecision.float16Bits(source[i]).littleEndian }
                } else {
                    for i in start..<end { scratch[i - start] = ReducedPrecision.bfloat16Bits(source[i]).littleEndian }
                }
                try file.write(UnsafeRawBufferPointer(start: scratch, count: (end - start) * 2))
                start = end
            }
        default:
            preconditionFailure("unwritable dtype \(entry.dtype.rawValue) passed validation")
        }
    }

    // MARK: - Atomic replacement

    /// An open temporary file next to the destination.
    final class TemporaryFile {
        let descriptor: Int32
        /// The destination, named in errors because that is the path the caller knows.
        let destination: String

        init(descriptor: Int32, destination: String) {
            self.descriptor = descriptor
            self.destination = destination
        }

        /// Writes all of `bytes`, resuming after partial writes and signals.
        func write(_ bytes: UnsafeRawBufferPointer) throws {
            guard var next = bytes.baseAddress else { return }
            var remaining = bytes.count
            while remaining > 0 {
                let written = Foundation.write(descriptor, next, remaining)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw SafetensorsError.fromErrno(path: destination, operation: "write")
                }
                next += written
                remaining -= written
            }
        }
    }

    /// Runs `body` on a fresh temporary file in the destination's directory, then makes it
    /// durable and renames it over `url`; removes it if anything fails.
    private static func writeAtomically(to url: URL, _ body: (TemporaryFile) throws -> Void) throws {
        let destination = url.path
        let directory = url.deletingLastPathComponent().path
        var template = Array("\(directory)/.\(url.lastPathComponent).tmp-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw SafetensorsError.fromErrno(path: destination, operation: "create temporary file") }
        let temporaryPath = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let file = TemporaryFile(descriptor: descriptor, destination: destination)
        var isOpen = true
        do {
            // mkstemp creates mode 0600; give the file the mode a plain create (or the file it
            // replaces) would have.
            guard fchmod(descriptor, creationMode(replacing: destination)) == 0 else {
                throw SafetensorsError.fromErrno(path: destination, operation: "chmod temporary file")
            }
            try body(file)
            guard fsync(descriptor) == 0 else { throw SafetensorsError.fromErrno(path: destination, operation: "fsync") }
            isOpen = false
            guard close(descriptor) == 0 else { throw SafetensorsError.fromErrno(path: destination, operation: "close") }
            guard rename(temporaryPath, destination) == 0 else {
                throw SafetensorsError.fromErrno(path: destination, operation: "rename")
            }
        } catch {
            if isOpen { close(descriptor) }
            unlink(temporaryPath)
            throw error
        }
        // Persist the directory entry too. Best effort: the new file is already in place, and
        // reporting an error now would wrongly suggest the destination was left untouched.
        let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            _ = fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    /// The permission bits for the new file: those of the file being replaced, else
    /// 0666 minus the process umask (read from /proc rather than with `umask()`, which would
    /// briefly change it for every thread).
    private static func creationMode(replacing path: String) -> mode_t {
        var status = stat()
        if stat(path, &status) == 0 { return status.st_mode & 0o7777 }
        var mask: mode_t = 0o022
        if let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Umask:") }),
           let value = mode_t(line.dropFirst("Umask:".count).trimmingCharacters(in: .whitespaces), radix: 8) {
            mask = value
        }
        return 0o666 & ~mask
    }
}
