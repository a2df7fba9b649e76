import Foundation

/// A checkpoint stored as one safetensors file or as shards listed by a
/// `*.safetensors.index.json`, opened through a single name → tensor interface.
///
/// ``init(url:variant:)`` accepts a `.safetensors` file, an index file, or a folder laid out as
/// diffusers or transformers save models: `diffusion_pytorch_model.safetensors`,
/// `diffusion_pytorch_model.safetensors.index.json`, `model.safetensors` or
/// `model.safetensors.index.json`, with the variant inserted before the last extension
/// (`diffusion_pytorch_model.fp16.safetensors`, `model.safetensors.index.fp16.json`), as
/// `_add_variant` does in both libraries.
///
/// An index is `{"metadata": {...}, "weight_map": {tensor name: shard file name}}`. Opening one
/// opens and validates every shard, fails if shard files are missing (listing all of them) and
/// if a shard lacks a tensor the index assigns to it. Tensors a shard holds but the index does
/// not list are ignored, as transformers does (it keeps only the index's keys when loading a
/// shard); they are listed in ``unindexedNames``.
public final class ShardedSafetensors: Sendable {
    /// The file opened: the single `.safetensors` file or the index.
    public let url: URL
    /// A single file's `__metadata__`, or an index's `metadata` object with non-string values
    /// (such as `total_size`) given as their JSON text.
    public let metadata: [String: String]
    /// All tensor names, sorted by UTF-8 bytes.
    public let names: [String]
    /// Tensors present in shards but absent from the index (never readable through this object).
    public let unindexedNames: [String]
    /// The open files, in shard file name order.
    public let files: [SafetensorsFile]

    private let fileForName: [String: SafetensorsFile]

    /// Opens the checkpoint at `url`: a `.safetensors` file, an index file (name ending in
    /// `.json`), or a folder with a conventionally named checkpoint of `variant` (e.g. "fp16";
    /// nil for the plain files). `variant` only applies to folders.
    public init(url: URL, variant: String? = nil) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw SafetensorsError.ioFailure(path: url.path, operation: "open", reason: "no such file or directory")
        }
        let resolved = isDirectory.boolValue ? try Self.resolveFolder(url, variant: variant) : url
        self.url = resolved
        if resolved.lastPathComponent.hasSuffix(".json") {
            let index = try Self.readIndex(resolved)
            let folder = resolved.deletingLastPathComponent()
            let shardNames = Set(index.weightMap.values).sorted()
            let missing = shardNames.filter { !FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path) }
            guard missing.isEmpty else { throw SafetensorsError.missingShards(path: resolved.path, shards: missing) }
            var shards: [String: SafetensorsFile] = [:]
            for shardName in shardNames {
                shards[shardName] = try SafetensorsFile(url: folder.appendingPathComponent(shardName))
            }
            var fileForName: [String: SafetensorsFile] = [:]
            for (tensor, shardName) in index.weightMap {
                let shard = shards[shardName]!
                guard shard.info(tensor) != nil else {
                    throw SafetensorsError.tensorMissingFromShard(path: resolved.path, tensor: tensor, shard: shardName)
                }
                fileForName[tensor] = shard
            }
            self.metadata = index.metadata
            self.files = shardNames.map { shards[$0]! }
            self.fileForName = fileForName
            self.unindexedNames = shardNames.flatMap { shardName in
                shards[shardName]!.names.filter { index.weightMap[$0] != shardName }
            }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        } else {
            let file = try SafetensorsFile(url: resolved)
            self.metadata = file.metadata
            self.files = [file]
            self.fileForName = Dictionary(uniqueKeysWithValues: file.names.map { ($0, file) })
            self.unindexedNames = []
        }
        self.names = fileForName.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Where tensor `name` is stored and how, or nil if the checkpoint has no such tensor.
    public func info(_ name: String) -> SafetensorsTensorInfo? {
        fileForName[name]?.info(name)
    }

    /// Reads tensor `name` as Float32; see ``SafetensorsFile/tensor(_:)``.
    public func tensor(_ name: String) throws -> Tensor {
        try requireFile(name).tensor(name)
    }

    /// The stored bytes of tensor `name`; valid while this object (or the file holding the
    /// tensor) is alive. See ``SafetensorsFile/rawBytes(_:)``.
    public func rawBytes(_ name: String) throws -> UnsafeRawBufferPointer {
        try requireFile(name).rawBytes(name)
    }

    /// The file holding tensor `name`.
    public func file(containing name: String) -> SafetensorsFile? {
        fileForName[name]
    }

    private func requireFile(_ name: String) throws -> SafetensorsFile {
        guard let file = fileForName[name] else { throw SafetensorsError.tensorNotFound(path: url.path, name: name) }
        return file
    }

    // MARK: - Locating and reading the index

    /// `_add_variant` of diffusers and transformers: the variant goes before the last extension.
    static func addingVariant(_ fileName: String, _ variant: String?) -> String {
        guard let variant, let dot = fileName.lastIndex(of: ".") else { return fileName }
        return "\(fileName[..<dot]).\(variant)\(fileName[dot...])"
    }

    /// The one conventional checkpoint file in `folder`; more than one is an error rather than a
    /// silent preference, since the two libraries disagree on which wins.
    private static func resolveFolder(_ folder: URL, variant: String?) throws -> URL {
        let candidates = ["diffusion_pytorch_model", "model"].flatMap { base in
            [addingVariant("\(base).safetensors", variant), addingVariant("\(base).safetensors.index.json", variant)]
        }
        let present = candidates.filter { FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path) }
        guard let first = present.first else { throw SafetensorsError.noCheckpoint(path: folder.path, tried: candidates) }
        guard present.count == 1 else { throw SafetensorsError.ambiguousCheckpoint(path: folder.path, candidates: present) }
        return folder.appendingPathComponent(first)
    }

    private struct Index {
        var weightMap: [String: String]
        var metadata: [String: String]
    }

    /// Parses an index with `JSONSerialization`: unlike a safetensors header it is not
    /// untrusted binary layout, and duplicate keys keep the last value as Python's `json` does.
    private static func readIndex(_ url: URL) throws -> Index {
        let path = url.path
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        } catch {
            throw SafetensorsError.invalidIndex(path: path, reason: "not readable JSON (\(error.localizedDescription))")
        }
        guard let root = object as? [String: Any] else {
            throw SafetensorsError.invalidIndex(path: path, reason: "top level is not an object")
        }
        guard let weightMap = root["weight_map"] as? [String: String] else {
            throw SafetensorsError.invalidIndex(path: path, reason: "'weight_map' is missing or not an object of strings")
        }
        for shard in Set(weightMap.values) {
            // Shards live next to the index; refusing other paths keeps an index from pointing outside its folder.
            guard !shard.isEmpty, !shard.hasPrefix("/"), !shard.split(separator: "/").contains("..") else {
                throw SafetensorsError.invalidIndex(path: path, reason: "shard file name '\(shard)' is not a path inside the index's folder")
            }
        }
        var metadata: [String: String] = [:]
        if let raw = root["metadata"], !(raw is NSNull) {
            guard let object = raw as? [String: Any] else {
                throw SafetensorsError.invalidIndex(path: path, reason: "'metadata' is not an object")
            }
            for (key, value) in object {
                if let text = value as? String {
                    metadata[key] = text
                } else if let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]) {
                    metadata[key] = String(decoding: data, as: UTF8.self)
                }
            }
        }
        return Index(weightMap: weightMap, metadata: metadata)
    }
}
