/// Somewhere named tensors can be read from: a safetensors file, a sharded folder, a dictionary.
/// Reads are per tensor, so a model loads one weight at a time (and BF16/F16 weights are widened
/// to Float32 one at a time).
public protocol WeightSource {
    /// Every tensor name available.
    var names: [String] { get }
    /// The shape of `name`, nil when absent (cheap: no data is read).
    func shape(of name: String) -> [Int]?
    /// The values of `name` as Float32.
    func tensor(_ name: String) throws -> Tensor
    /// The file holding `name` (a shard's file name), for messages; nil when there is no file.
    func file(of name: String) -> String?
    /// Why `name` cannot be read as Float32 (e.g. its stored element type), nil when it can.
    func unreadableReason(_ name: String) -> String?
}

extension WeightSource {
    public func file(of name: String) -> String? { nil }
    public func unreadableReason(_ name: String) -> String? { nil }
}

/// Tensors held in memory, e.g. a state dict.
public struct InMemoryWeights: WeightSource {
    public let tensors: [String: Tensor]
    public init(_ tensors: [String: Tensor]) { self.tensors = tensors }
    public var names: [String] { tensors.keys.sorted() }
    public func shape(of name: String) -> [Int]? { tensors[name]?.shape }
    public func tensor(_ name: String) throws -> Tensor {
        guard let t = tensors[name] else { throw WeightLoadError.missingTensor(name: name, source: "state dict") }
        return t
    }
}
