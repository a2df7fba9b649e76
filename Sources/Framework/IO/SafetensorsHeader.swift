/// Where one tensor lives in a safetensors file and how to interpret its bytes.
public struct SafetensorsTensorInfo: Sendable, Equatable {
    /// The tensor's name in the header.
    public let name: String
    /// The element type stored in the file.
    public let dtype: SafetensorsDType
    /// Extent of each dimension; `[]` for a scalar.
    public let shape: [Int]
    /// The header's `data_offsets`: the tensor's bytes within the data buffer, which starts
    /// right after the header (file offset `8 + header length`).
    public let dataOffsets: Range<Int>

    /// Number of elements (1 for a scalar, 0 when a dimension is 0).
    public var elementCount: Int { shape.elementCount }
    /// Number of bytes the tensor occupies in the file.
    public var byteCount: Int { dataOffsets.count }
}

/// A parsed and validated safetensors header.
///
/// Validation follows the reference Rust crate (`SafeTensors::read_metadata`): header length at
/// most 100,000,000 bytes and inside the file, UTF-8, JSON of the safetensors shape, tensors
/// laid out back to back from offset 0 in offset order with no gap or overlap, each byte span
/// equal to elements × dtype size, and the last tensor ending exactly at the end of the file.
struct SafetensorsHeader {
    /// The reference implementation's header size limit (`MAX_HEADER_SIZE`).
    static let maximumLength = 100_000_000

    /// The tensors, by name.
    let tensors: [String: SafetensorsTensorInfo]
    /// The `__metadata__` map (empty when absent or `null`).
    let metadata: [String: String]
    /// File offset of the data buffer: 8 + header length.
    let dataStart: Int

    /// Parses and validates the header of the complete file `file`.
    init(file: UnsafeRawBufferPointer, path: String) throws {
        guard file.count >= 8 else { throw SafetensorsError.fileTooSmall(path: path, size: file.count) }
        let declared = UInt64(littleEndian: file.loadUnaligned(as: UInt64.self))
        guard declared <= UInt64(Self.maximumLength) else {
            throw SafetensorsError.headerTooLarge(path: path, length: declared)
        }
        let length = Int(declared)
        guard 8 + length <= file.count else {
            throw SafetensorsError.headerBeyondFile(path: path, length: declared, fileSize: file.count)
        }
        guard length > 0 else { throw SafetensorsError.emptyHeader(path: path) }

        let header = UnsafeRawBufferPointer(rebasing: file[8..<8 + length])
        if let offset = Self.firstInvalidUTF8(header) {
            throw SafetensorsError.invalidUTF8(path: path, offset: offset)
        }
        let scanned = try SafetensorsHeaderScanner.scan(header, path: path)
        try Self.validateLayout(scanned.entries, bufferSize: file.count - 8 - length, path: path)

        var tensors: [String: SafetensorsTensorInfo] = [:]
        tensors.reserveCapacity(scanned.entries.count)
        for entry in scanned.entries {
            tensors[entry.name] = SafetensorsTensorInfo(name: entry.name, dtype: entry.dtype, shape: entry.shape,
                                                        dataOffsets: entry.begin..<entry.end)
        }
        self.tensors = tensors
        self.metadata = scanned.metadata
        self.dataStart = 8 + length
    }

    /// Checks that the tensors tile the data buffer exactly, in offset order, as the reference
    /// crate's `Metadata::validate` does, but naming the offending tensor and the kind of defect.
    private static func validateLayout(_ entries: [SafetensorsHeaderScanner.Entry], bufferSize: Int, path: String) throws {
        // Files may list tensors in any order; the layout is checked in offset order (ties by
        // name, so the reported tensor does not depend on dictionary order).
        let ordered = entries.sorted {
            ($0.begin, $0.end) != ($1.begin, $1.end) ? ($0.begin, $0.end) < ($1.begin, $1.end)
                                                     : $0.name.utf8.lexicographicallyPrecedes($1.name.utf8)
        }
        var covered = 0
        for entry in ordered {
            if entry.begin < covered {
                throw SafetensorsError.overlappingData(path: path, tensor: entry.name, begin: entry.begin, previousEnd: covered)
            }
            if entry.begin > covered {
                throw SafetensorsError.gapInData(path: path, tensor: entry.name, begin: entry.begin, previousEnd: covered)
            }
            // Checked left to right like the reference, so any accepted shape's product is safe
            // to compute with plain multiplication later (`Array.elementCount`).
            var elements = 1
            var overflow = false
            for dimension in entry.shape where !overflow {
                (elements, overflow) = elements.multipliedReportingOverflow(by: dimension)
            }
            var bits = 0
            if !overflow { (bits, overflow) = elements.multipliedReportingOverflow(by: entry.dtype.bitSize) }
            if overflow {
                throw SafetensorsError.sizeOverflow(path: path, tensor: entry.name, shape: entry.shape, dtype: entry.dtype)
            }
            if bits % 8 != 0 {
                throw SafetensorsError.misalignedSubByte(path: path, tensor: entry.name, shape: entry.shape, dtype: entry.dtype)
            }
            if entry.end - entry.begin != bits / 8 {
                throw SafetensorsError.sizeMismatch(path: path, tensor: entry.name, begin: entry.begin, end: entry.end,
                                                   shape: entry.shape, dtype: entry.dtype, expectedBytes: bits / 8)
            }
            covered = entry.end
        }
        if covered > bufferSize {
            let first = ordered.first { $0.end > bufferSize }!
            throw SafetensorsError.dataOutOfRange(path: path, tensor: first.name, end: first.end, bufferSize: bufferSize)
        }
        if covered < bufferSize {
            throw SafetensorsError.uncoveredData(path: path, covered: covered, bufferSize: bufferSize)
        }
    }

    /// The offset of the first byte that is not part of well-formed UTF-8 (overlong forms,
    /// surrogates and code points above U+10FFFF are ill-formed, as in Rust's `str::from_utf8`).
    static func firstInvalidUTF8(_ bytes: UnsafeRawBufferPointer) -> Int? {
        let count = bytes.count
        var index = 0
        while index < count {
            // Headers are almost all ASCII: skip eight bytes at a time while no high bit is set.
            while index + 8 <= count,
                  bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                index += 8
            }
            guard index < count else { break }
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length: Int
            var secondRange: ClosedRange<UInt8> = 0x80...0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; secondRange = 0xA0...0xBF
            case 0xED: length = 3; secondRange = 0x80...0x9F
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xF0: length = 4; secondRange = 0x90...0xBF
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; secondRange = 0x80...0x8F
            default: return index
            }
            guard index + length <= count, secondRange.contains(bytes[index + 1]) else { return index }
            for continuation in 2..<length where bytes[index + continuation] & 0xC0 != 0x80 {
                return index
            }
            index += length
        }
        return nil
    }
}
