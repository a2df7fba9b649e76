/// What a weight load found: which keys the model expected but the source lacked, which the
/// source had but the model does not use, and which disagreed in shape.
public struct LoadReport: Sendable, CustomStringConvertible {
    public var loaded: [String] = []
    public var missing: [String] = []
    public var unexpected: [String] = []
    public var shapeMismatches: [(key: String, expected: [Int], found: [Int])] = []
    /// Tensors whose stored element type cannot be widened to Float32, with the reason.
    public var unreadable: [(key: String, reason: String)] = []
    /// The file holding each unexpected, mis-shaped or unreadable tensor, where the source knows it.
    public var files: [String: String] = [:]

    /// `true` when every model key loaded and nothing was left over.
    public var isExact: Bool { missing.isEmpty && unexpected.isEmpty && shapeMismatches.isEmpty && unreadable.isEmpty }

    /// ` in FILE` for a tensor whose file is known.
    func place(_ name: String) -> String { files[name].map { " in \($0)" } ?? "" }

    public var description: String {
        var lines = ["loaded \(loaded.count) tensors"]
        func list(_ keys: [String]) -> String {
            keys.prefix(10).joined(separator: ", ") + (keys.count > 10 ? ", … (\(keys.count) in all)" : "")
        }
        if !missing.isEmpty { lines.append("missing \(missing.count): \(list(missing))") }
        if !unexpected.isEmpty { lines.append("unexpected \(unexpected.count): \(list(unexpected))") }
        for m in shapeMismatches.prefix(10) { lines.append("shape mismatch \(m.key)\(place(m.key)): model \(m.expected), file \(m.found)") }
        for u in unreadable.prefix(10) { lines.append("unreadable \(u.key)\(place(u.key)): \(u.reason)") }
        return lines.joined(separator: "\n")
    }
}

/// Why weights could not be loaded. Every case names the key (and source) at fault.
public enum WeightLoadError: Error, CustomStringConvertible {
    case missingTensor(name: String, source: String)
    case mismatch(source: String, report: LoadReport)

    public var description: String {
        switch self {
        case .missingTensor(let name, let source):
            return "\(source): no tensor named '\(name)'"
        case .mismatch(let source, let report):
            var problems: [String] = []
            if let key = report.missing.first {
                problems.append("'\(key)' is missing\(report.missing.count > 1 ? " (and \(report.missing.count - 1) more)" : "")")
            }
            if let key = report.unexpected.first {
                problems.append("unexpected tensor '\(key)'\(report.place(key))\(report.unexpected.count > 1 ? " (and \(report.unexpected.count - 1) more)" : "")")
            }
            if let m = report.shapeMismatches.first {
                problems.append("'\(m.key)'\(report.place(m.key)) has shape \(m.found), the model expects \(m.expected)")
            }
            if let u = report.unreadable.first { problems.append("'\(u.key)'\(report.place(u.key)) \(u.reason)") }
            return "\(source): weights do not match the model: " + problems.joined(separator: "; ")
        }
    }
}

extension Module {
    /// Loads parameter values from `source`.
    ///
    /// - Parameters:
    ///   - keyForSourceName: maps a source tensor name to the model key it provides, or nil to
    ///     skip it without reading it (e.g. `visual.*`, `lm_head.*`). Identity by default: for
    ///     diffusers/transformers folders the model's keys are the file's keys.
    ///   - strict: throw ``WeightLoadError/mismatch(source:report:)`` unless every parameter was
    ///     loaded, nothing was left over and no shape disagreed (PyTorch `strict=True`). Shape
    ///     mismatches always throw; nothing is assigned unless the whole check passes.
    /// - Returns: the report (useful with `strict: false`).
    @discardableResult
    public func load(from source: any WeightSource, sourceName: String = "weights", strict: Bool = true,
                     keyForSourceName: (String) -> String? = { $0 }) throws -> LoadReport {
        var (report, plan) = try check(source, sourceName: sourceName, strict: strict, keyForSourceName: keyForSourceName)
        // Under LoadedWeights.keepInHalfPrecision, each layer weight is narrowed as soon as it is
        // read, so a model never holds its Float32 copy, not even while loading.
        let narrowed = LoadedWeights.keepInHalfPrecision ? Set(layerWeights().map(ObjectIdentifier.init)) : []
        for (parameter, name) in plan {
            parameter.assign(try source.tensor(name))
            if narrowed.contains(ObjectIdentifier(parameter)) {
                parameter.isTrainable = false
                parameter.keepInHalfPrecision()
            }
            report.loaded.append(parameter.name)
        }
        return report
    }

    /// Everything ``load(from:sourceName:strict:keyForSourceName:)`` checks, from names, shapes
    /// and element types alone (no tensor is read, nothing is assigned): for loaders that check
    /// every component of a model before loading any.
    @discardableResult
    public func checkLoad(from source: any WeightSource, sourceName: String = "weights", strict: Bool = true,
                          keyForSourceName: (String) -> String? = { $0 }) throws -> LoadReport {
        try check(source, sourceName: sourceName, strict: strict, keyForSourceName: keyForSourceName).report
    }

    private func check(_ source: any WeightSource, sourceName: String, strict: Bool,
                       keyForSourceName: (String) -> String?) throws -> (report: LoadReport, plan: [(Parameter, String)]) {
        let parameters = namedParameters()
        var report = LoadReport()
        var plan: [(Parameter, String)] = []
        var provided = Set<String>()
        // Tensors are named with their file relative to the source's folder (e.g. `transformer/…-00002-of-00009.safetensors`).
        let folder = sourceName.lastIndex(of: "/").map { String(sourceName[..<$0]) } ?? ""
        func note(_ name: String, as key: String? = nil) {
            // Only worth saying when the source is more than one file (a sharded checkpoint).
            guard let file = source.file(of: name).map({ folder.isEmpty ? $0 : "\(folder)/\($0)" }), file != sourceName else { return }
            report.files[key ?? name] = file
        }
        for name in source.names {
            guard let key = keyForSourceName(name) else { continue }
            guard let parameter = parameters[key], provided.insert(key).inserted else {
                report.unexpected.append(name)
                note(name)
                continue
            }
            let shape = source.shape(of: name) ?? []
            if shape != parameter.shape {
                report.shapeMismatches.append((key, parameter.shape, shape))
                note(name, as: key)
            } else if let reason = source.unreadableReason(name) {
                report.unreadable.append((key, reason))
                note(name, as: key)
            } else {
                plan.append((parameter, name))
            }
        }
        report.missing = parameters.keys.filter { !provided.contains($0) }.sorted()
        if !report.shapeMismatches.isEmpty || !report.unreadable.isEmpty || (strict && !report.isExact) {
            throw WeightLoadError.mismatch(source: sourceName, report: report)
        }
        return (report, plan)
    }

    /// Loads from a state dict (see ``load(from:sourceName:strict:keyForSourceName:)``).
    @discardableResult
    public func load(stateDict: [String: Tensor], strict: Bool = true) throws -> LoadReport {
        try load(from: InMemoryWeights(stateDict), sourceName: "state dict", strict: strict)
    }
}

/// How weights are held while a model loads.
public enum LoadedWeights {
    /// While bound to true (`LoadedWeights.$keepInHalfPrecision.withValue(true) { … }`), loading
    /// keeps every linear and convolution weight frozen in 16 bits from the moment it is read
    /// (``Parameter/keepInHalfPrecision()``): the peak memory of a load is then the 16-bit model
    /// plus one Float32 tensor. Norms, biases and embedding tables load as Float32.
    @TaskLocal public static var keepInHalfPrecision = false
}

extension Module {
    /// The weights of this module's linear and convolution layers: what is kept in 16 bits.
    public func layerWeights() -> [Parameter] {
        modules().compactMap { ($0 as? Linear)?.weight ?? ($0 as? Conv2d)?.weight }
    }
}
