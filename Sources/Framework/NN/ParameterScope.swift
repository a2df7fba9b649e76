/// Creates parameters under a checkpoint path (candle's `VarBuilder`): scopes nest with
/// `scope["to_q"]` / `scope[0]`, so a module's parameters get exactly the reference keys, e.g.
/// `transformer_blocks.0.attn.to_q.weight`.
///
/// The scope also decides initial values: random (PyTorch's default layer initialisation, from
/// a seeded ``TorchGenerator`` shared by every scope of one model) or uninitialised, for models
/// whose weights are loaded right after construction — large allocations stay untouched
/// (and cost no memory) until the load writes them.
public struct ParameterScope: @unchecked Sendable {
    /// How parameters start out.
    public enum Initialization: Sendable {
        /// PyTorch's layer defaults, drawn from a generator seeded with this value.
        case random(seed: UInt64)
        /// No initial values: weights are expected to be loaded next.
        case uninitialized
    }

    /// The key prefix of this scope, e.g. `transformer_blocks.0.attn` ("" at the root).
    public let path: String
    private let source: InitializationSource

    /// A root scope.
    public init(_ initialization: Initialization = .random(seed: 0)) {
        path = ""
        source = InitializationSource(initialization)
    }

    private init(path: String, source: InitializationSource) {
        self.path = path
        self.source = source
    }

    /// A child scope named `name` (dots allowed: `scope["to_out.0"]`).
    public subscript(_ name: String) -> ParameterScope {
        ParameterScope(path: key(name), source: source)
    }

    /// A child scope for element `index` of a module list.
    public subscript(_ index: Int) -> ParameterScope { self[String(index)] }

    /// The full key of `name` in this scope.
    public func key(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    /// A new parameter `name` of `shape`, initialised by `initializer` when this scope initialises.
    public func parameter(_ name: String, shape: [Int], initializer: Initializer, isTrainable: Bool = true) -> Parameter {
        Parameter(name: key(name), value: source.make(shape: shape, initializer: initializer), isTrainable: isTrainable)
    }
}

/// Initial value rules, matching PyTorch's layer defaults.
public enum Initializer: Sendable {
    /// All elements equal.
    case constant(Float)
    /// Uniform in `[-bound, bound]` (PyTorch's Linear/Conv default with `bound = 1/sqrt(fan_in)`).
    case uniform(bound: Float)
    /// Normal with this standard deviation (Embedding's default is 1).
    case normal(std: Float)
}

/// The shared, mutable part of a model's scopes: the generator that random initial values come
/// from, so that every parameter of a model draws from one seeded stream in construction order.
final class InitializationSource: @unchecked Sendable {
    private let initialization: ParameterScope.Initialization
    private var generator: TorchGenerator

    init(_ initialization: ParameterScope.Initialization) {
        self.initialization = initialization
        if case .random(let seed) = initialization { generator = TorchGenerator(seed: seed) } else { generator = TorchGenerator(seed: 0) }
    }

    func make(shape: [Int], initializer: Initializer) -> Tensor {
        let count = shape.elementCount
        guard case .random = initialization else {
            return Tensor(shape: shape, storage: TensorStorage(uninitializedCount: count))
        }
        switch initializer {
        case .constant(let value):
            return Tensor.full(shape, value)
        case .uniform(let bound):
            return Tensor(shape: shape, scalars: generator.rand(count: count).map { ($0 * 2 - 1) * bound })
        case .normal(let std):
            return Tensor(shape: shape, scalars: generator.randn(count: count).map { $0 * std })
        }
    }
}
