import Foundation
import Testing
@testable import DiffSynth

@Suite("Datasets")
struct DatasetTests {
    static let extras = ["seed", "rand_device", "num_inference_steps", "cfg_scale"]

    /// Writes `text` as `name` next to an existing `image.png`, loads it, returns the error message.
    func failure(_ text: String, name: String = "metadata.csv", extras: [String] = extras) -> String? {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ds-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: directory.appendingPathComponent("image.png").path, contents: Data())
        let url = directory.appendingPathComponent(name)
        try! text.write(to: url, atomically: true, encoding: .utf8)
        do {
            let samples = try TrainingDataset.load(metadata: url, basePath: directory, dataFileKeys: ["image"], extraInputs: extras)
            for s in samples { try DirectDistillLoss().validate(s, pipeline: ToyPipeline()) }
            return nil
        } catch {
            return "\(error)"
        }
    }

    static let header = "image,prompt,seed,rand_device,num_inference_steps,cfg_scale\n"

    @Test("DiffSynth's CSV with quoted prompts, CRLF and a BOM parses")
    func goodCSV() throws {
        #expect(failure("\u{FEFF}" + Self.header + "image.png,\"a cat, on a mat, \"\"quoted\"\"\",0,cpu,4,1\r\nimage.png,dog,-1,cpu,4,1.0\r\n") == nil)
        #expect(failure("[{\"image\": \"image.png\", \"prompt\": \"x\", \"seed\": 3, \"rand_device\": \"cpu\", \"num_inference_steps\": 4, \"cfg_scale\": 1}]",
                        name: "metadata.json") == nil)
        #expect(failure("{\"image\": \"image.png\", \"prompt\": \"x\", \"seed\": 3, \"rand_device\": \"cpu\", \"num_inference_steps\": 4, \"cfg_scale\": 1}\n",
                        name: "metadata.jsonl") == nil)
        let records = try CSV.parse("a,\"b\nc\",d\n", file: "f")
        #expect(records.count == 1 && records[0].fields == ["a", "b\nc", "d"])
    }

    @Test("each kind of bad row gets its own error naming file, line and column", arguments: [
        ("missing column", "image,prompt,rand_device,num_inference_steps,cfg_scale\nimage.png,x,cpu,4,1\n", "no column 'seed'"),
        ("empty prompt", header + "image.png,,0,cpu,4,1\n", "line 2: column 'prompt' is empty"),
        ("missing file", header + "image.png,x,0,cpu,4,1\nmissing.png,y,0,cpu,4,1\n", "line 3: file"),
        ("non-integer seed", header + "image.png,x,1.5,cpu,4,1\n", "line 2: column 'seed' is '1.5', expected an integer"),
        ("bad step count", header + "image.png,x,0,cpu,four,1\n", "column 'num_inference_steps' is 'four'"),
        ("bad guidance", header + "image.png,x,0,cpu,4,strong\n", "column 'cfg_scale' is 'strong'"),
        ("field count", header + "image.png,x,0,cpu\n", "line 2: 4 fields, the header has 6"),
        ("unclosed quote", header + "image.png,\"x,0,cpu,4,1\n", "line 2: a quoted field is never closed"),
        ("cuda noise", header + "image.png,x,0,cuda,4,1\n", "rand_device 'cuda' cannot be reproduced"),
        ("no rows", header, "no data rows"),
    ])
    func badRows(_ name: String, _ text: String, _ expected: String) {
        let message = failure(text)
        #expect(message?.contains(expected) == true, "\(name): \(message ?? "no error")")
        #expect(message?.contains("metadata.csv") == true || name == "cuda noise" || name == "missing file")
    }

    @Test("bad JSON metadata names the file and element")
    func badJSON() {
        #expect(failure("{\"prompt\": 1}", name: "m.json")?.contains("m.json line 1: expected a JSON list") == true)
        #expect(failure("[{\"image\": \"image.png\", \"prompt\": \"x\", \"seed\": 1}, 5]", name: "m.json", extras: ["seed"])?.contains("m.json line 2: not a JSON object") == true)
        #expect(failure("{\"prompt\": \"x\"}\n{oops\n", name: "m.jsonl", extras: [])?.contains("m.jsonl line 2") == true)
    }

    @Test("Direct Distillation refuses rows without the seed or step count, naming the flag to fix")
    func objectiveRequirements() {
        // The header has both columns: the message says they exist and what to add to --extra_inputs.
        let seed = failure(Self.header + "image.png,x,0,cpu,4,1\n", extras: ["rand_device"])
        #expect(seed?.contains("the column 'seed' is in the file but not listed in --extra_inputs: add seed") == true, "\(seed ?? "no error")")
        let steps = failure(Self.header + "image.png,x,0,cpu,4,1\n", extras: ["seed", "rand_device"])
        #expect(steps?.contains("'num_inference_steps' is in the file but not listed") == true, "\(steps ?? "no error")")
        // Without the column the message names the column to add to the file and the flag.
        let missing = failure("image,prompt,rand_device\nimage.png,x,cpu\n", extras: ["rand_device"])
        #expect(missing?.contains("column 'seed', listed in --extra_inputs") == true, "\(missing ?? "no error")")
    }
}
