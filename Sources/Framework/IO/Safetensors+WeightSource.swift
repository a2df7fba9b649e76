extension SafetensorsFile: WeightSource {
    public func shape(of name: String) -> [Int]? { info(name)?.shape }
}

extension ShardedSafetensors: WeightSource {
    public func shape(of name: String) -> [Int]? { info(name)?.shape }
}
