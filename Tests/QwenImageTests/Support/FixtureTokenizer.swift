import DiffSynth
import Foundation

/// A tokenizer test double: the golden ids that transformers' Qwen2Tokenizer produced for the
/// fixture's templated prompts (the real tokenizer is tested on its own; these tests are about
/// what the model does with ids).
final class FixtureTokenizer: TextTokenizer, @unchecked Sendable {
    let table: [String: [Int]]
    let padID: Int

    init() {
        var table: [String: [Int]] = [:]
        for prompt in Fixtures.prompts {
            let text = (Fixtures.json["template"] as! String).replacingOccurrences(of: "{}", with: prompt["text"] as! String)
            table[text] = prompt["templated_ids"] as? [Int]
        }
        self.table = table
        padID = Fixtures.tokenizerJSON["pad_id"] as! Int
    }

    func encode(_ text: String) -> [Int] {
        guard let ids = table[text] else { preconditionFailure("the fixture has no golden ids for \(text.debugDescription)") }
        return ids
    }

    func id(of token: String) -> Int? { token == "<|endoftext|>" ? padID : nil }

    func decode(_ ids: [Int]) -> String { ids.map(String.init).joined(separator: " ") }
}
