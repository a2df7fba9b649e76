extension SafetensorsFile: WeightSource {
    public func shape(of name: String) -> [Int]? { info(name)?.shape }
    public func file(of name: String) -> String? { info(name) == nil ? nil : url.lastPathComponent }
    public func unreadableReason(_ name: String) -> String? {
        guard let dtype = info(name)?.dtype, !dtype.isConvertibleToFloat32 else { return nil }
        return "is stored as \(dtype.rawValue), which cannot be widened to Float32"
    }
}

extension ShardedSafetensors: WeightSource {
    public func shape(of name: String) -> [Int]? { info(name)?.shape }
    public func file(of name: String) -> String? { file(containing: name)?.url.lastPathComponent }
    public func unreadableReason(_ name: String) -> String? { file(containing: name)?.unreadableReason(name) }
}
