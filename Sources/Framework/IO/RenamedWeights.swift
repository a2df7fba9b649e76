/// A ``WeightSource`` seen through a renaming: each source tensor appears under the model key
/// `rename` gives it (nil hides it), optionally reshaped (e.g. 1×1 convolution weights stored
/// for what is now a Linear layer). Reads stay lazy, one tensor at a time.
///
/// Families use it for the renames their diffusers loaders apply on the fly (CLIP's optional
/// `text_model.` prefix, the VAE's legacy attention names).
public struct RenamedWeights: WeightSource {
    /// The weights as stored.
    public let base: any WeightSource
    private let sourceForName: [String: String]
    private let reshape: (_ name: String, _ shape: [Int]) -> [Int]

    /// - Parameters:
    ///   - rename: model key for a source name, nil to skip the tensor. Two source names mapping
    ///     to one key keep the first (in sorted order) and expose the rest unchanged, so the
    ///     strict load reports them as unexpected.
    ///   - reshape: the shape the model should see for a (renamed) tensor of a given stored shape;
    ///     it must keep the element count.
    public init(_ base: any WeightSource, rename: (String) -> String?,
                reshape: @escaping (_ name: String, _ shape: [Int]) -> [Int] = { $1 }) {
        self.base = base
        var map: [String: String] = [:]
        for name in base.names {
            guard let key = rename(name) else { continue }
            if map[key] == nil { map[key] = name } else { map[name] = name }
        }
        sourceForName = map
        self.reshape = reshape
    }

    /// The model keys this source provides (renamed), sorted.
    public var names: [String] { sourceForName.keys.sorted() }

    /// The shape of model key `name` after reshaping, nil when absent.
    public func shape(of name: String) -> [Int]? {
        guard let source = sourceForName[name], let shape = base.shape(of: source) else { return nil }
        return reshape(name, shape)
    }

    /// Reads the tensor behind model key `name`, reshaped.
    public func tensor(_ name: String) throws -> Tensor {
        guard let source = sourceForName[name] else { throw WeightLoadError.missingTensor(name: name, source: "renamed weights") }
        let value = try base.tensor(source)
        let shape = reshape(name, value.shape)
        return shape == value.shape ? value : value.reshaped(shape)
    }
}
