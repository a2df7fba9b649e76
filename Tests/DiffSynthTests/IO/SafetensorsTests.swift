import Foundation
import Testing
@testable import DiffSynth

/// Fixtures come from Tools/reference/make_safetensors_fixtures.py (Python `safetensors` and
/// PyTorch); `expected.json` holds what PyTorch reads and rounds, as Float32 bit patterns.
private enum SafetensorsFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/safetensors")

    static func url(_ relativePath: String) -> URL {
        directory.appendingPathComponent(relativePath)
    }

    static func expected() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url("expected.json"))) as! [String: Any]
    }

    static func section(_ name: String) throws -> [String: Any] {
        try expected()[name] as! [String: Any]
    }

    /// The malformed-file cases, read when the test list is built.
    static let malformedCases: [String] = {
        guard let all = try? section("malformed") else { return [] }
        return all.keys.sorted()
    }()
}

/// Helpers for the suites below, as members so they cannot clash with test helpers elsewhere
/// in the module.
private protocol SafetensorsTestSupport {}

extension SafetensorsTestSupport {
    /// A fresh directory, removed after `body`.
    func withTemporaryDirectory<R>(_ body: (URL) throws -> R) throws -> R {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("diffsynth-safetensors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try body(directory)
    }

    func floats(fromBits bits: [Any]) -> [Float] {
        bits.map { Float(bitPattern: UInt32(($0 as! NSNumber).uint32Value)) }
    }

    func uint16s(_ values: [Any]) -> [UInt16] {
        values.map { ($0 as! NSNumber).uint16Value }
    }

    func ints(_ values: [Any]) -> [Int] {
        values.map { ($0 as! NSNumber).intValue }
    }

    /// Indices where `actual` differs from `expected` bit for bit (any NaN matches any NaN).
    func bitMismatches(_ actual: [Float], _ expected: [Float]) -> [Int] {
        guard actual.count == expected.count else { return [-1] }
        return actual.indices.filter { index in
            expected[index].isNaN ? !actual[index].isNaN : actual[index].bitPattern != expected[index].bitPattern
        }
    }

    /// The enum case name of an error, e.g. "gapInData".
    func caseName(_ error: SafetensorsError) -> String {
        Mirror(reflecting: error).children.first?.label ?? String(describing: error)
    }

    /// A safetensors file from a header string and data bytes, as-is (no padding).
    func rawFile(header: String, data: [UInt8]) -> Data {
        var length = UInt64(header.utf8.count).littleEndian
        var bytes = Data(bytes: &length, count: 8)
        bytes.append(contentsOf: Array(header.utf8))
        bytes.append(contentsOf: data)
        return bytes
    }

    /// The writer inputs of expected.json ("writer" section) as entries.
    func writerParityEntries(_ writer: [String: Any]) -> [SafetensorsWriter.Entry] {
        (writer["tensors"] as! [[String: Any]]).map { spec in
            let shape = ints(spec["shape"] as! [Any])
            let tensor = Tensor(shape: shape, scalars: floats(fromBits: spec["input_f32_bits"] as! [Any]))
            return SafetensorsWriter.Entry(name: spec["name"] as! String, tensor: tensor,
                                           dtype: SafetensorsDType(rawValue: spec["dtype"] as! String)!)
        }
    }
}

@Suite("Safetensors reading")
struct SafetensorsReadingTests: SafetensorsTestSupport {
    @Test("Every dtype reads to the Float32 values PyTorch's .float() gives")
    func everyDType() throws {
        let section = try SafetensorsFixtures.section("all_dtypes")
        let file = try SafetensorsFile(url: SafetensorsFixtures.url(section["file"] as! String))
        let tensors = section["tensors"] as! [String: [String: Any]]
        for (name, spec) in tensors where spec["f32_bits"] != nil {
            let info = try #require(file.info(name))
            #expect(info.dtype.rawValue == spec["dtype"] as? String, "\(name)")
            #expect(info.shape == ints(spec["shape"] as! [Any]), "\(name)")
            let tensor = try file.tensor(name)
            #expect(tensor.shape == info.shape, "\(name)")
            let mismatches = bitMismatches(tensor.scalars, floats(fromBits: spec["f32_bits"] as! [Any]))
            #expect(mismatches.isEmpty, "\(name) differs at \(mismatches)")
        }
        #expect(Set(file.names) == Set(tensors.keys))
    }

    @Test("Metadata, names sorted by bytes, a scalar and zero-size tensors")
    func metadataAndShapes() throws {
        let section = try SafetensorsFixtures.section("all_dtypes")
        let file = try SafetensorsFile(url: SafetensorsFixtures.url("all_dtypes.safetensors"))
        #expect(file.metadata == section["metadata"] as! [String: String])
        #expect(file.names == file.names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        let scalar = try file.tensor("scalar")
        #expect(scalar.shape == [])
        #expect(scalar.item() == 3.5)
        let empty = try file.tensor("empty_f32")
        #expect(empty.shape == [0, 3])
        #expect(empty.count == 0)
        #expect(try file.rawBytes("empty_bf16").count == 0)
        #expect(file.info("empty_bf16")?.shape == [2, 0])
    }

    @Test("A dtype without a Float32 reading is refused, but its raw bytes are readable")
    func unsupportedDType() throws {
        let section = try SafetensorsFixtures.section("all_dtypes")
        let url = SafetensorsFixtures.url("all_dtypes.safetensors")
        let file = try SafetensorsFile(url: url)
        #expect(throws: SafetensorsError.unsupportedDType(path: url.path, tensor: "complex", dtype: .c64)) {
            try file.tensor("complex")
        }
        let spec = (section["tensors"] as! [String: [String: Any]])["complex"]!
        let hex = try file.rawBytes("complex").map { String(format: "%02x", $0) }.joined()
        #expect(hex == spec["raw_bytes_hex"] as! String)
    }

    @Test("An unknown tensor name throws tensorNotFound naming the file")
    func tensorNotFound() throws {
        let url = SafetensorsFixtures.url("all_dtypes.safetensors")
        let file = try SafetensorsFile(url: url)
        #expect(file.info("nope") == nil)
        #expect(throws: SafetensorsError.tensorNotFound(path: url.path, name: "nope")) { try file.tensor("nope") }
        #expect(throws: SafetensorsError.tensorNotFound(path: url.path, name: "nope")) { try file.rawBytes("nope") }
        // Control characters in names are escaped so the message stays on one line.
        let error = try #require(throws: SafetensorsError.self) { try file.tensor("a\nb") }
        #expect(error.description == "\(url.path): no tensor named 'a\\u{a}b'")
    }

    @Test("A file that does not exist throws ioFailure naming it")
    func missingFile() throws {
        let url = SafetensorsFixtures.url("does_not_exist.safetensors")
        let error = try #require(throws: SafetensorsError.self) { try SafetensorsFile(url: url) }
        #expect(caseName(error) == "ioFailure")
        #expect(error.path == url.path)
    }

    @Test("Each malformed file throws its expected error naming the file and tensor", arguments: SafetensorsFixtures.malformedCases)
    func malformed(caseName expectedCase: String) throws {
        let spec = try SafetensorsFixtures.section("malformed")[expectedCase] as! [String: Any]
        let url = SafetensorsFixtures.url(spec["file"] as! String)
        let error = try #require(throws: SafetensorsError.self) { try SafetensorsFile(url: url) }
        #expect(caseName(error) == spec["error"] as! String, "\(error)")
        #expect(error.path == url.path)
        #expect(error.tensorName == spec["tensor"] as? String, "\(error)")
        #expect(error.description.hasPrefix(url.path + ": "))
        #expect(!error.description.contains("\n"))
    }

    @Test("Every malformed fixture file has an expectation")
    func malformedCoverage() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: SafetensorsFixtures.url("malformed").path)
        #expect(SafetensorsFixtures.malformedCases.count >= 30)
        #expect(Set(files) == Set(SafetensorsFixtures.malformedCases.map { "\($0).safetensors" }))
    }

    @Test("Error messages are one human line, e.g. for a size mismatch")
    func errorMessage() throws {
        let url = SafetensorsFixtures.url("malformed/shape_mismatch.safetensors")
        let error = try #require(throws: SafetensorsError.self) { try SafetensorsFile(url: url) }
        #expect(error.description == "\(url.path): tensor 'a.weight' data_offsets [0, 10] do not match shape [2, 2] × F32 = 16 bytes")
    }

    @Test("Headers accepted as serde_json accepts them: any order, escapes, unknown fields, null metadata")
    func lenientHeader() throws {
        try withTemporaryDirectory { directory throws in
            let url = directory.appendingPathComponent("lenient.safetensors")
            let header = """
            {"b" : {"shape":[1],"data_offsets":[4,8],"dtype":"F32","extra":{"x":[1,2.5e3,true,null,"s"]}},
             "\\u00e9\\ud83d\\ude00\\n" :{"dtype":"I32","shape":[1],"data_offsets":[0,4]},\t"__metadata__":null}\r\n  \u{20}
            """
            let data: [UInt8] = [7, 0, 0, 0] + Array(withUnsafeBytes(of: Float(2.5).bitPattern.littleEndian) { Array($0) })
            try rawFile(header: header, data: data).write(to: url)
            let file = try SafetensorsFile(url: url)
            #expect(file.names == ["b", "é😀\n"])
            #expect(file.metadata.isEmpty)
            #expect(try file.tensor("é😀\n").scalars == [7])
            #expect(try file.tensor("b").scalars == [2.5])
            #expect(file.info("b")?.dataOffsets == 4..<8)
        }
    }

    @Test("Tensor data at unaligned offsets reads correctly")
    func unalignedData() throws {
        try withTemporaryDirectory { directory throws in
            let url = directory.appendingPathComponent("unaligned.safetensors")
            // Header length 157 and a 1-byte tensor first: every later tensor starts at an odd address.
            let header = #"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"F32","shape":[2],"data_offsets":[1,9]},"c":{"dtype":"BF16","shape":[2],"data_offsets":[9,13]}}"#
            var data: [UInt8] = [200]
            for value in [Float(1.25), -3] { data += withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
            for value in [Float(0.5), 96] {
                data += withUnsafeBytes(of: ReducedPrecision.bfloat16Bits(value).littleEndian) { Array($0) }
            }
            try rawFile(header: header, data: data).write(to: url)
            let file = try SafetensorsFile(url: url)
            #expect(try file.tensor("a").scalars == [200])
            #expect(try file.tensor("b").scalars == [1.25, -3])
            #expect(try file.tensor("c").scalars == [0.5, 96])
        }
    }

    @Test("Large tensors convert the same on the multi-core path as element by element")
    func largeTensorsParallel() throws {
        try withTemporaryDirectory { directory throws in
            let url = directory.appendingPathComponent("large.safetensors")
            let count = 3_000_001  // above the parallel threshold, not a multiple of the chunk alignment
            var state: UInt32 = 12345
            let values = (0..<count).map { _ -> Float in
                state = state &* 1_664_525 &+ 1_013_904_223
                return Float(bitPattern: (state & 0x807F_FFFF) | 0x3000_0000) * 1e4
            }
            let tensor = Tensor(shape: [count], scalars: values)
            try SafetensorsWriter.write([
                .init(name: "bf16", tensor: tensor, dtype: .bf16),
                .init(name: "f16", tensor: tensor, dtype: .f16),
                .init(name: "f32", tensor: tensor, dtype: .f32),
            ], to: url)
            let file = try SafetensorsFile(url: url)
            #expect(try file.tensor("f32").scalars == values)
            let bf16 = try file.tensor("bf16").scalars
            let f16 = try file.tensor("f16").scalars
            #expect(bitMismatches(bf16, values.map(ReducedPrecision.roundedToBFloat16)).isEmpty)
            #expect(bitMismatches(f16, values.map { Float(Float16($0)) }).isEmpty)
        }
    }

    @Test("The fast F16 widening is exact for all 65536 bit patterns")
    func halfWideningExhaustive() {
        let wrong = (0...UInt16.max).filter { bits in
            let fast = SafetensorsWidening.floatFromHalfBits(bits)
            let reference = Float(Float16(bitPattern: bits))
            return reference.isNaN ? !fast.isNaN : fast.bitPattern != reference.bitPattern
        }
        #expect(wrong.isEmpty)
    }
}

@Suite("Safetensors writing")
struct SafetensorsWritingTests: SafetensorsTestSupport {
    @Test("BF16 and F16 narrowing rounds exactly like PyTorch")
    func roundingMatchesPyTorch() throws {
        let rounding = try SafetensorsFixtures.section("rounding")
        let inputs = floats(fromBits: rounding["inputs_f32_bits"] as! [Any])
        try withTemporaryDirectory { directory throws in
            let url = directory.appendingPathComponent("rounding.safetensors")
            let tensor = Tensor(inputs)
            try SafetensorsWriter.write([.init(name: "bf16", tensor: tensor, dtype: .bf16),
                                         .init(name: "f16", tensor: tensor, dtype: .f16)], to: url)
            let file = try SafetensorsFile(url: url)
            for (name, key) in [("bf16", "bf16"), ("f16", "f16")] {
                let stored = Array(try file.rawBytes(name).bindMemory(to: UInt16.self))
                let expected = uint16s(rounding["\(key)_bits"] as! [Any])
                // NaN bit patterns differ between PyTorch's own code paths; only NaN-ness is compared.
                let isNaN: (UInt16) -> Bool = name == "bf16"
                    ? { ReducedPrecision.float(bfloat16Bits: $0).isNaN } : { ReducedPrecision.float(float16Bits: $0).isNaN }
                let wrong = stored.indices.filter { isNaN(expected[$0]) ? !isNaN(stored[$0]) : stored[$0] != expected[$0] }
                #expect(stored.count == expected.count && wrong.isEmpty, "\(name) differs at \(wrong)")
                let widened = try file.tensor(name).scalars
                let mismatches = bitMismatches(widened, floats(fromBits: rounding["\(key)_as_f32_bits"] as! [Any]))
                #expect(mismatches.isEmpty, "\(name) widened differs at \(mismatches)")
            }
        }
    }

    @Test("F32 round trip is bit exact, NaN payloads included")
    func float32RoundTrip() throws {
        let inputs = floats(fromBits: try SafetensorsFixtures.section("rounding")["inputs_f32_bits"] as! [Any])
            + [Float(bitPattern: 0x7FA0_0001), Float(bitPattern: 0xFFC0_1234)]
        try withTemporaryDirectory { directory throws in
            let url = directory.appendingPathComponent("f32.safetensors")
            try SafetensorsWriter.write([(name: "x", tensor: Tensor(shape: [1, inputs.count], scalars: inputs))],
                                        metadata: ["k": "v"], to: url)
            let file = try SafetensorsFile(url: url)
            #expect(file.metadata == ["k": "v"])
            #expect(file.info("x")?.shape == [1, inputs.count])
            #expect(try file.tensor("x").scalars.map(\.bitPattern) == inputs.map(\.bitPattern))
        }
    }

    @Test("Writer output equals Python's save_file byte for byte")
    func bytesMatchPython() throws {
        let writer = try SafetensorsFixtures.section("writer")
        let pythonBytes = try Data(contentsOf: SafetensorsFixtures.url(writer["file"] as! String))
        try withTemporaryDirectory { directory throws in
            let url = directory.appendingPathComponent("swift_written.safetensors")
            try SafetensorsWriter.write(writerParityEntries(writer), metadata: writer["metadata"] as! [String: String], to: url)
            let swiftBytes = try Data(contentsOf: url)
            #expect(swiftBytes == pythonBytes)
            // For Tools/reference/check_swift_safetensors.py: export the file when asked.
            if let exportDirectory = ProcessInfo.processInfo.environment["DIFFSYNTH_SAFETENSORS_EXPORT"] {
                try swiftBytes.write(to: URL(fileURLWithPath: exportDirectory).appendingPathComponent("swift_written.safetensors"))
            }
        }
    }

    @Test("With several metadata keys the header equals Python's as JSON and the data byte for byte")
    func multiMetadataMatchesPython() throws {
        let writer = try SafetensorsFixtures.section("writer")
        let pythonBytes = try Data(contentsOf: SafetensorsFixtures.url(writer["multi_metadata_file"] as! String))
        try withTemporaryDirectory { directory throws in
            let url = directory.appendingPathComponent("multi.safetensors")
            try SafetensorsWriter.write(writerParityEntries(writer), metadata: writer["multi_metadata"] as! [String: String], to: url)
            let swiftBytes = try Data(contentsOf: url)
            #expect(swiftBytes.count == pythonBytes.count)
            let length = Int(swiftBytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
            #expect(swiftBytes.prefix(8) == pythonBytes.prefix(8))
            let swiftHeader = try JSONSerialization.jsonObject(with: swiftBytes.subdata(in: 8..<8 + length)) as! NSDictionary
            let pythonHeader = try JSONSerialization.jsonObject(with: pythonBytes.subdata(in: 8..<8 + length)) as! NSDictionary
            #expect(swiftHeader == pythonHeader)
            #expect(swiftBytes.suffix(from: 8 + length) == pythonBytes.suffix(from: 8 + length))
            #expect(try SafetensorsFile(url: url).metadata == writer["multi_metadata"] as! [String: String])
        }
    }

    @Test("Python-written file reads back PyTorch's rounded values")
    func readPythonWritten() throws {
        let writer = try SafetensorsFixtures.section("writer")
        let file = try SafetensorsFile(url: SafetensorsFixtures.url(writer["file"] as! String))
        for spec in writer["tensors"] as! [[String: Any]] {
            let name = spec["name"] as! String
            let mismatches = bitMismatches(try file.tensor(name).scalars, floats(fromBits: spec["stored_f32_bits"] as! [Any]))
            #expect(mismatches.isEmpty, "\(name) differs at \(mismatches)")
        }
    }

    @Test("A duplicate name throws before anything is written: destination intact, no temporary file")
    func atomicOnDuplicate() throws {
        try withTemporaryDirectory { directory throws in
            let url = directory.appendingPathComponent("model.safetensors")
            try SafetensorsWriter.write([(name: "a", tensor: Tensor([1, 2]))], to: url)
            let before = try Data(contentsOf: url)
            #expect(throws: SafetensorsError.duplicateName(path: url.path, name: "a")) {
                try SafetensorsWriter.write([(name: "a", tensor: Tensor([3])), (name: "a", tensor: Tensor([4]))], to: url)
            }
            #expect(try Data(contentsOf: url) == before)
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["model.safetensors"])
        }
    }

    @Test("A failure after the temporary file exists removes it and leaves the destination alone")
    func atomicOnRenameFailure() throws {
        try withTemporaryDirectory { directory throws in
            // The destination is a non-empty directory, so only the final rename can fail.
            let url = directory.appendingPathComponent("occupied")
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
            try Data([1]).write(to: url.appendingPathComponent("keep"))
            let error = try #require(throws: SafetensorsError.self) {
                try SafetensorsWriter.write([(name: "a", tensor: Tensor([1]))], to: url)
            }
            #expect(caseName(error) == "ioFailure")
            #expect(error.path == url.path)
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["occupied"])
            #expect(try FileManager.default.contentsOfDirectory(atPath: url.path) == ["keep"])
        }
    }

    @Test("Replacing a file leaves readers of the old one unaffected")
    func replaceWhileMapped() throws {
        try withTemporaryDirectory { directory throws in
            let url = directory.appendingPathComponent("model.safetensors")
            try SafetensorsWriter.write([(name: "w", tensor: Tensor([1, 2, 3]))], to: url)
            let old = try SafetensorsFile(url: url)
            try SafetensorsWriter.write([(name: "w", tensor: Tensor([4, 5, 6]))], dtype: .bf16, to: url)
            #expect(try old.tensor("w").scalars == [1, 2, 3])
            let new = try SafetensorsFile(url: url)
            #expect(try new.tensor("w").scalars == [4, 5, 6])
            #expect(new.info("w")?.dtype == .bf16)
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["model.safetensors"])
        }
    }

    @Test("Empty names, the reserved name and unwritable dtypes are refused")
    func invalidEntries() throws {
        try withTemporaryDirectory { directory throws in
            let url = directory.appendingPathComponent("x.safetensors")
            #expect(throws: SafetensorsError.emptyName(path: url.path)) {
                try SafetensorsWriter.write([(name: "", tensor: Tensor([1]))], to: url)
            }
            #expect(throws: SafetensorsError.self) {
                try SafetensorsWriter.write([(name: "__metadata__", tensor: Tensor([1]))], to: url)
            }
            #expect(throws: SafetensorsError.unsupportedWriteDType(path: url.path, tensor: "a", dtype: .i64)) {
                try SafetensorsWriter.write([(name: "a", tensor: Tensor([1]))], dtype: .i64, to: url)
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
        }
    }

    @Test("No tensors and no metadata gives Python's minimal file")
    func emptyFile() throws {
        try withTemporaryDirectory { directory throws in
            let url = directory.appendingPathComponent("empty.safetensors")
            try SafetensorsWriter.write([], to: url)
            #expect(try Data(contentsOf: url) == Data([8, 0, 0, 0, 0, 0, 0, 0]) + Data("{}      ".utf8))
            let file = try SafetensorsFile(url: url)
            #expect(file.names.isEmpty)
        }
    }
}

@Suite("Sharded safetensors")
struct ShardedSafetensorsTests: SafetensorsTestSupport {
    @Test("A sharded diffusers folder exposes every tensor of every shard")
    func shardedFolder() throws {
        let section = try SafetensorsFixtures.section("sharded")
        for url in [SafetensorsFixtures.url("sharded"), SafetensorsFixtures.url("sharded/\(section["index"] as! String)")] {
            let checkpoint = try ShardedSafetensors(url: url)
            let tensors = section["tensors"] as! [String: [String: Any]]
            #expect(checkpoint.names == tensors.keys.sorted())
            #expect(checkpoint.files.count == 2)
            #expect(checkpoint.metadata == ["total_size": "60"])
            #expect(checkpoint.unindexedNames.isEmpty)
            for (name, spec) in tensors {
                let tensor = try checkpoint.tensor(name)
                #expect(tensor.shape == ints(spec["shape"] as! [Any]))
                #expect(bitMismatches(tensor.scalars, floats(fromBits: spec["f32_bits"] as! [Any])).isEmpty, "\(name)")
            }
            #expect(checkpoint.info("up.0.weight")?.dtype == .bf16)
            #expect(checkpoint.file(containing: "up.0.bias")?.url.lastPathComponent == "diffusion_pytorch_model-00002-of-00002.safetensors")
            #expect(throws: SafetensorsError.tensorNotFound(path: checkpoint.url.path, name: "nope")) { try checkpoint.tensor("nope") }
        }
    }

    @Test("Missing shard files are all reported against the index")
    func missingShard() throws {
        let section = try SafetensorsFixtures.section("sharded")
        let index = SafetensorsFixtures.url("sharded_missing_shard/\(section["index"] as! String)")
        #expect(throws: SafetensorsError.missingShards(path: index.path, shards: [section["missing_shard"] as! String])) {
            try ShardedSafetensors(url: SafetensorsFixtures.url("sharded_missing_shard"))
        }
    }

    @Test("An index naming a tensor its shard lacks is an error")
    func missingTensor() throws {
        let section = try SafetensorsFixtures.section("sharded")
        let index = SafetensorsFixtures.url("sharded_missing_tensor/\(section["index"] as! String)")
        let error = try #require(throws: SafetensorsError.self) { try ShardedSafetensors(url: SafetensorsFixtures.url("sharded_missing_tensor")) }
        #expect(error == .tensorMissingFromShard(path: index.path, tensor: section["missing_tensor"] as! String,
                                                 shard: "diffusion_pytorch_model-00002-of-00002.safetensors"))
    }

    @Test("Tensors a shard holds but the index omits are ignored, as transformers does, and listed")
    func unindexedTensors() throws {
        let section = try SafetensorsFixtures.section("sharded")
        let checkpoint = try ShardedSafetensors(url: SafetensorsFixtures.url("sharded_unindexed"))
        #expect(checkpoint.unindexedNames == section["unindexed"] as! [String])
        #expect(!checkpoint.names.contains("extra.weight"))
        #expect(checkpoint.info("extra.weight") == nil)
    }

    @Test("A folder's variant selects diffusion_pytorch_model.<variant>.safetensors")
    func variants() throws {
        let folder = SafetensorsFixtures.url("variant")
        let plain = try ShardedSafetensors(url: folder)
        #expect(plain.url.lastPathComponent == "diffusion_pytorch_model.safetensors")
        #expect(plain.info("w")?.dtype == .f32)
        let half = try ShardedSafetensors(url: folder, variant: "fp16")
        #expect(half.url.lastPathComponent == "diffusion_pytorch_model.fp16.safetensors")
        #expect(half.info("w")?.dtype == .f16)
        #expect(try half.tensor("w").scalars == [1, 2, 3])
        let error = try #require(throws: SafetensorsError.self) { try ShardedSafetensors(url: folder, variant: "bf16") }
        #expect(caseName(error) == "noCheckpoint")
        #expect(error.description.contains("diffusion_pytorch_model.safetensors.index.bf16.json"))
    }

    @Test("Variant names follow _add_variant")
    func addingVariant() {
        #expect(ShardedSafetensors.addingVariant("model.safetensors.index.json", "fp16") == "model.safetensors.index.fp16.json")
        #expect(ShardedSafetensors.addingVariant("model.safetensors", "fp16") == "model.fp16.safetensors")
        #expect(ShardedSafetensors.addingVariant("model.safetensors", nil) == "model.safetensors")
    }

    @Test("A folder with two conventional checkpoints is ambiguous; a bare single file opens")
    func ambiguousAndSingleFile() throws {
        try withTemporaryDirectory { directory throws in
            try SafetensorsWriter.write([(name: "a", tensor: Tensor([1]))], to: directory.appendingPathComponent("model.safetensors"))
            let single = try ShardedSafetensors(url: directory)
            #expect(single.names == ["a"])
            let direct = try ShardedSafetensors(url: directory.appendingPathComponent("model.safetensors"))
            #expect(try direct.tensor("a").scalars == [1])
            try SafetensorsWriter.write([(name: "b", tensor: Tensor([2]))],
                                        to: directory.appendingPathComponent("diffusion_pytorch_model.safetensors"))
            #expect(throws: SafetensorsError.ambiguousCheckpoint(path: directory.path,
                                                                 candidates: ["diffusion_pytorch_model.safetensors", "model.safetensors"])) {
                try ShardedSafetensors(url: directory)
            }
        }
    }

    @Test("Malformed indexes are refused with invalidIndex")
    func malformedIndex() throws {
        try withTemporaryDirectory { directory throws in
            let index = directory.appendingPathComponent("model.safetensors.index.json")
            for text in ["{", "[]", #"{"weight_map": {"a": 1}}"#, #"{"weight_map": {"a": "../x.safetensors"}}"#] {
                try Data(text.utf8).write(to: index)
                let error = try #require(throws: SafetensorsError.self) { try ShardedSafetensors(url: directory) }
                #expect(caseName(error) == "invalidIndex", "\(text)")
                #expect(error.path == index.path)
            }
        }
    }
}

@Suite("Safetensors throughput", .enabled(if: ProcessInfo.processInfo.environment["DIFFSYNTH_BENCHMARK"] != nil))
struct SafetensorsThroughputTests: SafetensorsTestSupport {
    /// Milliseconds of the fastest of `runs` calls.
    private func bestMilliseconds(_ runs: Int = 7, _ body: () throws -> Void) rethrows -> Double {
        var best = Double.infinity
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        return best
    }

    @Test("BF16 and F16 widening of a 100 MB tensor")
    func wideningThroughput() throws {
        try withTemporaryDirectory { directory throws in
            let url = directory.appendingPathComponent("big.safetensors")
            let count = 50_000_000  // 100 MB stored, 200 MB widened
            let tensor = Tensor.arange(count, start: -1, step: 1e-7)
            try SafetensorsWriter.write([.init(name: "bf16", tensor: tensor, dtype: .bf16),
                                         .init(name: "f16", tensor: tensor, dtype: .f16)], to: url)
            let file = try SafetensorsFile(url: url)
            // Destination already faulted in, to separate the conversion from page-fault cost.
            let touched = TensorStorage(count: count, repeating: 0)
            for name in ["bf16", "f16"] {
                let info = try #require(file.info(name))
                let source = try #require(try file.rawBytes(name).baseAddress)
                let endToEnd = try bestMilliseconds { _ = try file.tensor(name) }
                let endToEndOneCore = bestMilliseconds {
                    let storage = TensorStorage(uninitializedCount: count)
                    SafetensorsWidening.widen(info.dtype, from: source, count: count, into: storage.pointer, maximumTasks: 1)
                }
                let oneCore = bestMilliseconds {
                    SafetensorsWidening.widen(info.dtype, from: source, count: count, into: touched.pointer, maximumTasks: 1)
                }
                let allCores = bestMilliseconds {
                    SafetensorsWidening.widen(info.dtype, from: source, count: count, into: touched.pointer)
                }
                func rate(_ ms: Double) -> String {
                    String(format: "%.1f ms = %.2f GB/s read (%.2f GB/s read+write)", ms, 0.1 / (ms / 1000), 0.3 / (ms / 1000))
                }
                print("\(name) → F32, \(count) elements: tensor() \(rate(endToEnd)); same on 1 core \(rate(endToEndOneCore)); "
                      + "conversion into touched memory, 1 core \(rate(oneCore)); all cores \(rate(allCores))")
            }
            let memset = bestMilliseconds { touched.pointer.update(repeating: 1, count: count) }
            print(String(format: "reference: filling 200 MB takes %.1f ms = %.2f GB/s", memset, 0.2 / (memset / 1000)))
        }
    }
}
