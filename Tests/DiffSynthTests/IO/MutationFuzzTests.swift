import Foundation
import Testing
@testable import DiffSynth

/// Seeded mutation fuzzing of every parser that reads user files (images have their own in
/// `MalformedImageFuzzTests`): a fixed number of random corruptions of valid files, each of which
/// must load or throw — never trap, hang or end the process. Bounded (a few seconds in release)
/// and deterministic, so CI runs it every time; a failure prints the seed and iteration.
@Suite("Seeded mutation fuzzing of the file readers")
struct MutationFuzzTests {
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-\(UUID().uuidString)")

    /// Byte-level edits, as in the image fuzz tests, plus splices of JSON-significant text.
    static func mutate(_ bytes: [UInt8], _ random: inout TestRandom) -> [UInt8] {
        var out = MalformedImageFuzzTests.mutate(bytes, &random)
        if random.next() % 4 == 0, !out.isEmpty {
            let tokens = ["-1", "1e309", "99999999999999999999", "null", "[]", "{}", "\"", "\\", ",", ":", "\u{0}", "é", "\n"]
            let token = Array(tokens[Int(random.next() % UInt64(tokens.count))].utf8)
            out.insert(contentsOf: token, at: Int(random.next() % UInt64(out.count)))
        }
        return out
    }

    @Test("2000 corrupted safetensors headers and files parse or throw SafetensorsError")
    func safetensors() throws {
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let valid = work.appendingPathComponent("valid.safetensors")
        try SafetensorsWriter.write([(name: "a.weight", tensor: Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])),
                                     (name: "b", tensor: Tensor(shape: [4], scalars: [0, -1, .pi, 7]))],
                                    metadata: ["format": "pt", "lora_adapter_metadata": "{\"unet.r\": 4}"], to: valid)
        let bytes = [UInt8](try Data(contentsOf: valid))
        var random = TestRandom(2024), parsed = 0
        for iteration in 0..<2000 {
            let mutated = Self.mutate(bytes, &random)
            do {
                _ = try mutated.withUnsafeBytes { try SafetensorsHeader(file: $0, path: "fuzz-\(iteration)") }
                parsed += 1
                // Headers that parse are read in full from a file, every tensor and the LoRA reader too.
                let url = work.appendingPathComponent("m.safetensors")
                try Data(mutated).write(to: url)
                let file = try SafetensorsFile(url: url)
                for name in file.names { _ = try? file.tensor(name) }
                _ = try? LoRAWeights.peftConfigs(file.metadata, file: "fuzz")
            } catch is SafetensorsError {
            } catch {
                Issue.record("iteration \(iteration): \(type(of: error)): \(error)")
            }
        }
        print("safetensors fuzz: \(parsed) of 2000 mutations still parsed")
    }

    @Test("600 corrupted metadata.csv / .json / .jsonl files load or throw naming the file")
    func metadata() throws {
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let files = [
            ("csv", "image,prompt,seed,num_inference_steps\nimages/0.png,\"a red, ring\",3,4\nimages/1.png,\"say \"\"hi\"\"\",-2,1,2\n"),
            ("json", "[{\"image\": \"images/0.png\", \"prompt\": \"a ring\", \"seed\": 3}, {\"image\": \"x.png\", \"prompt\": \"é\"}]"),
            ("jsonl", "{\"image\": \"images/0.png\", \"prompt\": \"a ring\"}\n{\"image\": \"x.png\", \"prompt\": \"b\", \"seed\": 1}\n"),
        ]
        var random = TestRandom(7)
        for (ext, text) in files {
            for iteration in 0..<200 {
                let url = work.appendingPathComponent("metadata-\(iteration).\(ext)")
                try Data(Self.mutate(Array(text.utf8), &random)).write(to: url)
                do {
                    _ = try Metadata(contentsOf: url)
                } catch {
                    #expect("\(error)".contains("metadata-\(iteration).\(ext)"), "\(ext) \(iteration): \(error)")
                }
            }
        }
    }

    @Test("300 corrupted tokenizer folders (Qwen2 and CLIP) load and encode, or throw")
    func tokenizers() throws {
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let sources: [(folder: URL, files: [String], load: (URL) throws -> any TextTokenizer)] = [
            (Fixtures.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/qwen-image-tiny/tokenizer"),
             ["vocab.json", "merges.txt", "tokenizer_config.json"], { try Qwen2Tokenizer(folder: $0) }),
            (Fixtures.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/sdxl-guidance-tiny/tokenizer"),
             ["vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"], { try CLIPTokenizer(folder: $0) }),
        ]
        var random = TestRandom(99), loaded = 0
        for (index, source) in sources.enumerated() {
            for iteration in 0..<150 {
                let folder = work.appendingPathComponent("tokenizer-\(index)-\(iteration)")
                try FileManager.default.copyItem(at: source.folder, to: folder)
                let victim = source.files[Int(random.next() % UInt64(source.files.count))]
                let url = folder.appendingPathComponent(victim)
                // tokenizer.json (Qwen's fast-tokenizer file) would take precedence; corrupt the slow files alone.
                try? FileManager.default.removeItem(at: folder.appendingPathComponent("tokenizer.json"))
                try Data(Self.mutate([UInt8](try Data(contentsOf: url)), &random)).write(to: url)
                if let tokenizer = try? source.load(folder) {
                    loaded += 1
                    for text in ["a red ring", "<|im_start|>user é 😀", "", "  \n\t!!"] { _ = tokenizer.decode(tokenizer.encode(text)) }
                }
                try? FileManager.default.removeItem(at: folder)
            }
        }
        print("tokenizer fuzz: \(loaded) of 300 corrupted folders still loaded")
    }
}
