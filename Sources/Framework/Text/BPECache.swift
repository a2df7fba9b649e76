import Foundation

/// Memoised BPE results per word (keyed by the word's UTF-8 bytes), shared by every caller of one
/// tokenizer.
///
/// Prompts repeat words constantly, and a lookup is much cheaper than the merge loop. Like the
/// cache in `tokenizers` it holds at most `capacity` words and then stops adding (no eviction
/// bookkeeping on the hot path), and skips very long words, which rarely repeat.
final class BPECache: @unchecked Sendable {
    // @unchecked: `entries` is only touched while holding `lock`.
    private let lock = NSLock()
    private var entries: [[UInt8]: [Int]] = [:]
    private let capacity: Int
    /// Words of this many bytes or more are not cached.
    let maximumWordLength: Int

    init(capacity: Int = 10_000, maximumWordLength: Int = 256) {
        self.capacity = capacity
        self.maximumWordLength = maximumWordLength
    }

    func lookup(_ word: [UInt8]) -> [Int]? {
        lock.lock()
        defer { lock.unlock() }
        return entries[word]
    }

    func store(_ ids: [Int], for word: [UInt8]) {
        guard word.count < maximumWordLength else { return }
        lock.lock()
        defer { lock.unlock() }
        if entries.count < capacity { entries[word] = ids }
    }

    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return entries.count
    }
}
