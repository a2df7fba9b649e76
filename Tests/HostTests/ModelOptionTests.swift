import ArgumentParser
import DiffSynth
import Foundation
import Testing
@testable import Host
import QwenImage

/// `--device`: cpu is today's engine; cuda is refused with what was looked for (no GPU) or
/// with what was found (a GPU, which the model's operations do not run on yet); anything else
/// is a usage error naming the flag.
@Suite("--device")
struct DeviceOptionTests {
    @Test("cpu loads as before, an unknown device is refused by name")
    func values() throws {
        try BuiltinAdapters.registerOnce()
        _ = try ModelOptions.parse(["--tiny", "qwen-image", "--device", "cpu"]).load()
        #expect(throws: (any Error).self) { try ModelOptions.parse(["--tiny", "qwen-image", "--device", "gpu"]) }
    }

    @Test("cuda is refused before any model is built, saying why")
    func cudaRefused() throws {
        let options = try ModelOptions.parse(["--tiny", "qwen-image", "--device", "cuda"])
        do {
            _ = try options.load()
            Issue.record("--device cuda loaded a model")
        } catch let error as ValidationError {
            #expect(error.message.hasPrefix("--device cuda: "))
            #expect(error.message.contains("libcuda") || error.message.contains("no GPU") || error.message.contains("does not run model operations"),
                    "\(error.message)")
        }
    }
}

/// `--embedded_guidance`: a finite number, only for families whose denoiser reads one.
@Suite("--embedded_guidance")
struct EmbeddedGuidanceOptionTests {
    @Test("NaN is refused before loading; families without a guidance embedding refuse it by name")
    func refused() throws {
        try BuiltinAdapters.registerOnce()
        #expect(throws: (any Error).self) { try ModelOptions.parse(["--tiny", "qwen-image", "--embedded_guidance", "nan"]) }
        for family in ["qwen-image", "sdxl"] {
            let options = try ModelOptions.parse(["--tiny", family, "--embedded_guidance", "2"])
            do {
                _ = try options.load()
                Issue.record("\(family) accepted --embedded_guidance")
            } catch let error as ValidationError {
                #expect(error.message.contains("--embedded_guidance") && error.message.contains(family) && error.message.contains("--cfg_scale"))
            }
        }
    }
}

/// `--max_sequence_length`: diffusers' argument, for model folders of families with a long text encoder.
@Suite("--max_sequence_length")
struct MaxSequenceLengthOptionTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    @Test("Qwen-Image takes 1...1024 as diffusers does; SDXL, --tiny and 0 are refused by name")
    func bounds() throws {
        try BuiltinAdapters.registerOnce()
        let qwen = Self.fixtures.appendingPathComponent("qwen-image-tiny").path
        let pipeline = try ModelOptions.parse(["--model", qwen, "--max_sequence_length", "16"]).load()
        #expect((pipeline as? QwenImagePipeline)?.promptEncoder.maxSequenceLength == 16)
        func message(_ arguments: [String]) -> String {
            do { _ = try ModelOptions.parse(arguments).load(); return "loaded" } catch { return "\(error)" }
        }
        #expect(message(["--model", qwen, "--max_sequence_length", "1025"]).contains("--max_sequence_length"))
        let sdxl = message(["--model", Self.fixtures.appendingPathComponent("sdxl-tiny").path, "--max_sequence_length", "256"])
        #expect(sdxl.contains("--max_sequence_length") && sdxl.contains("77...77"), "\(sdxl)")
        #expect(throws: (any Error).self) { try ModelOptions.parse(["--tiny", "qwen-image", "--max_sequence_length", "64"]) }
        #expect(throws: (any Error).self) { try ModelOptions.parse(["--model", qwen, "--max_sequence_length", "0"]) }
    }
}
