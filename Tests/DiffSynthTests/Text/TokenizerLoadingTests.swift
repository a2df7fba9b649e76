import Foundation
import Testing
@testable import DiffSynth

/// Malformed tokenizer folders fail with errors that name the file at fault.
@Suite("Tokenizer folder errors")
struct TokenizerLoadingTests {
    static let qwen = TokenizerFixtures.committedRoot.appendingPathComponent("qwen2")

    /// A copy of the committed Qwen folder with `edit` applied, loaded by both tokenizer types.
    func loadingError(_ edit: (URL) throws -> Void) throws -> [TokenizerError] {
        try TokenizerFixtures.withTemporaryDirectory { directory in
            for name in try FileManager.default.contentsOfDirectory(atPath: Self.qwen.path) {
                try FileManager.default.copyItem(at: Self.qwen.appendingPathComponent(name), to: directory.appendingPathComponent(name))
            }
            try edit(directory)
            var errors: [TokenizerError] = []
            do { _ = try Qwen2Tokenizer(folder: directory) } catch let error as TokenizerError { errors.append(error) }
            do { _ = try CLIPTokenizer(folder: directory) } catch let error as TokenizerError { errors.append(error) }
            return errors
        }
    }

    func write(_ text: String, to url: URL) throws {
        try Data(text.utf8).write(to: url)
    }

    @Test("An empty folder names what it expected")
    func emptyFolder() throws {
        try TokenizerFixtures.withTemporaryDirectory { directory in
            #expect(throws: TokenizerError.missingFiles(folder: directory.path, expected: "tokenizer.json, or vocab.json and merges.txt")) {
                try Qwen2Tokenizer(folder: directory)
            }
        }
        let missing = URL(fileURLWithPath: "/nonexistent/tokenizer")
        let error = try #require(throws: TokenizerError.self) { try CLIPTokenizer(folder: missing) }
        #expect(error.path == missing.path)
    }

    @Test("vocab.json without merges.txt names merges.txt")
    func missingMerges() throws {
        let errors = try loadingError { try FileManager.default.removeItem(at: $0.appendingPathComponent("merges.txt")) }
        #expect(errors.count == 2)
        for error in errors {
            #expect(error.path.hasSuffix("/merges.txt"))
            #expect(error.description.contains("merges.txt"))
        }
    }

    @Test("Invalid JSON in vocab.json names vocab.json")
    func invalidVocabulary() throws {
        let errors = try loadingError { try write("{\"a\": 1,", to: $0.appendingPathComponent("vocab.json")) }
        #expect(errors.count == 2)
        #expect(errors.allSatisfy { $0.path.hasSuffix("/vocab.json") })
        let notIDs = try loadingError { try write("{\"a\": \"x\"}", to: $0.appendingPathComponent("vocab.json")) }
        #expect(notIDs.allSatisfy { $0.path.hasSuffix("/vocab.json") && $0.description.contains("'a'") })
    }

    @Test("A bad merges.txt line names the file and the line")
    func badMergeLine() throws {
        let errors = try loadingError { directory in
            try write("#version: 0.2\nĠ Ġ\nthree tokens here\n", to: directory.appendingPathComponent("merges.txt"))
        }
        #expect(errors.count == 2)
        for error in errors {
            #expect(error.path.hasSuffix("/merges.txt"))
            #expect(error.description.contains("line 3"))
        }
    }

    @Test("A merge of tokens missing from the vocabulary names merges.txt and the token")
    func mergeOutsideVocabulary() throws {
        let errors = try loadingError { directory in
            try write("#version: 0.2\nĠ Ġ\nq zzz\n", to: directory.appendingPathComponent("merges.txt"))
        }
        #expect(errors.count == 2)
        for error in errors {
            #expect(error.path.hasSuffix("/merges.txt"))
            #expect(error.description.contains("'zzz'") && error.description.contains("merge 2"))
        }
    }

    @Test("A malformed tokenizer_config.json names tokenizer_config.json")
    func badConfig() throws {
        let invalid = try loadingError { try write("[1, 2]", to: $0.appendingPathComponent("tokenizer_config.json")) }
        #expect(invalid.count == 2)
        #expect(invalid.allSatisfy { $0.path.hasSuffix("/tokenizer_config.json") })
        let badDecoder = try loadingError { directory in
            try write("{\"added_tokens_decoder\": {\"x\": {\"content\": \"<a>\"}}}", to: directory.appendingPathComponent("tokenizer_config.json"))
        }
        #expect(badDecoder.allSatisfy { $0.path.hasSuffix("/tokenizer_config.json") && $0.description.contains("added_tokens_decoder.x") })
    }

    @Test("A tokenizer.json that is not a BPE model names tokenizer.json")
    func badTokenizerJSON() throws {
        let errors = try loadingError { directory in
            try write("{\"model\": {\"type\": \"WordPiece\", \"vocab\": {}}}", to: directory.appendingPathComponent("tokenizer.json"))
        }
        #expect(errors.count == 2)
        #expect(errors.allSatisfy { $0.path.hasSuffix("/tokenizer.json") && $0.description.contains("model.type") })
        let badMerge = try loadingError { directory in
            try write("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [[\"a\"]]}}", to: directory.appendingPathComponent("tokenizer.json"))
        }
        #expect(badMerge.allSatisfy { $0.path.hasSuffix("/tokenizer.json") && $0.description.contains("model.merges[0]") })
    }
}
