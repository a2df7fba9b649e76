/// A node of a model: owns parameters and child modules.
///
/// Parameters carry their own checkpoint keys (given at construction, from a ``ParameterScope``
/// following the reference implementation's module paths), so a state dict is simply every
/// parameter by name and checkpoints load without rename tables. The default
/// ``parameters()`` finds parameters and child modules by reflection over stored properties,
/// including optionals and arrays; override it for anything else.
public protocol Module: AnyObject {
    /// Every parameter of this module and its descendants, each once, in a stable order.
    func parameters() -> [Parameter]
}

extension Module {
    public func parameters() -> [Parameter] {
        var seen = Set<ObjectIdentifier>()
        var result: [Parameter] = []
        ModuleReflection.collect(Mirror(reflecting: self), into: &result, seen: &seen)
        return result
    }

    /// Parameters by checkpoint key.
    public func namedParameters() -> [String: Parameter] {
        Dictionary(parameters().map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Parameters that receive gradients.
    public func trainableParameters() -> [Parameter] { parameters().filter(\.isTrainable) }

    /// Every value by checkpoint key (PyTorch `state_dict()`).
    public func stateDict() -> [String: Tensor] {
        Dictionary(parameters().map { ($0.name, $0.value.detached()) }, uniquingKeysWith: { first, _ in first })
    }

    /// Marks every parameter frozen (no gradients).
    public func freeze() { for p in parameters() { p.isTrainable = false } }

    /// Marks every parameter trainable.
    public func unfreeze() { for p in parameters() { p.isTrainable = true } }

    /// Clears every parameter's accumulated gradient.
    public func zeroGrad() { for p in parameters() { p.zeroGrad() } }

    /// Total number of scalars in all parameters.
    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.value.count } }
}

enum ModuleReflection {
    static func collect(_ mirror: Mirror, into result: inout [Parameter], seen: inout Set<ObjectIdentifier>) {
        if let superclass = mirror.superclassMirror { collect(superclass, into: &result, seen: &seen) }
        for child in mirror.children { visit(child.value, into: &result, seen: &seen) }
    }

    private static func visit(_ value: Any, into result: inout [Parameter], seen: inout Set<ObjectIdentifier>) {
        if let parameter = value as? Parameter {
            if seen.insert(ObjectIdentifier(parameter)).inserted { result.append(parameter) }
            return
        }
        if let module = value as? any Module {
            if seen.insert(ObjectIdentifier(module)).inserted { result.append(contentsOf: module.parameters().filter { seen.insert(ObjectIdentifier($0)).inserted }) }
            return
        }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional, .collection, .tuple:
            for child in mirror.children { visit(child.value, into: &result, seen: &seen) }
        case .dictionary:
            // Key order of a dictionary is unstable; sort the entries by key description.
            let entries = mirror.children.compactMap { child -> (String, Any)? in
                let pair = Array(Mirror(reflecting: child.value).children)
                return pair.count == 2 ? (String(describing: pair[0].value), pair[1].value) : nil
            }
            for (_, v) in entries.sorted(by: { $0.0 < $1.0 }) { visit(v, into: &result, seen: &seen) }
        default:
            break
        }
    }
}

extension Module {
    /// This module and every module below it, depth first, each once.
    public func modules() -> [any Module] {
        var seen = Set<ObjectIdentifier>()
        var result: [any Module] = []
        ModuleReflection.collectModules(self, into: &result, seen: &seen)
        return result
    }

    /// Every ``Linear`` layer below this module, with its checkpoint path.
    public func linearLayers() -> [Linear] { modules().compactMap { $0 as? Linear } }
}

extension ModuleReflection {
    static func collectModules(_ module: any Module, into result: inout [any Module], seen: inout Set<ObjectIdentifier>) {
        guard seen.insert(ObjectIdentifier(module)).inserted else { return }
        result.append(module)
        func visit(_ value: Any) {
            if let child = value as? any Module { collectModules(child, into: &result, seen: &seen); return }
            if value is Parameter { return }
            let mirror = Mirror(reflecting: value)
            switch mirror.displayStyle {
            case .optional, .collection, .tuple: for c in mirror.children { visit(c.value) }
            default: break
            }
        }
        var mirror: Mirror? = Mirror(reflecting: module)
        var mirrors: [Mirror] = []
        while let m = mirror { mirrors.append(m); mirror = m.superclassMirror }
        for m in mirrors.reversed() { for child in m.children { visit(child.value) } }
    }
}
