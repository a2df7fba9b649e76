import Foundation

/// A model folder in diffusers' layout: `model_index.json` naming the components, one
/// subfolder per component (`transformer/`, `unet/`, `vae/`, `text_encoder/`, `tokenizer/`,
/// `scheduler/`, …) with its `config.json` and weights.
public struct DiffusersFolder: Sendable {
    public let url: URL
    /// Component name → (library, class name), from `model_index.json`.
    public let components: [String: (library: String, className: String)]
    /// `_class_name` of the pipeline, e.g. `QwenImagePipeline`.
    public let pipelineClass: String

    /// Opens a folder; errors say where we looked and what is missing.
    public init(_ url: URL) throws {
        self.url = url
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ModelFolderError.notFound(path: url.path, repository: nil)
        }
        let index = url.appendingPathComponent("model_index.json")
        guard let data = try? Data(contentsOf: index) else { throw ModelFolderError.missingFile(path: index.path) }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ConfigurationError.invalid(path: index.path, key: "", reason: "not a JSON object")
        }
        pipelineClass = object["_class_name"] as? String ?? ""
        var components: [String: (String, String)] = [:]
        for (key, value) in object where !key.hasPrefix("_") {
            if let pair = value as? [Any], pair.count == 2, let library = pair[0] as? String, let className = pair[1] as? String {
                components[key] = (library, className)
            }
        }
        self.components = components
    }

    /// The subfolder of `component`, which must exist.
    public func folder(_ component: String) throws -> URL {
        let folder = url.appendingPathComponent(component)
        guard FileManager.default.fileExists(atPath: folder.path) else { throw ModelFolderError.missingComponent(folder: url.path, component: component) }
        return folder
    }

    /// The weights of `component` (single file or sharded with an index; `variant` selects e.g. `fp16` files).
    public func weights(_ component: String, variant: String? = nil) throws -> ShardedSafetensors {
        try ShardedSafetensors(url: try folder(component), variant: variant)
    }

    /// The memory the folder's weights take once loaded, widened to Float32 as the engine keeps
    /// them: the parameters counted from the safetensors headers (no tensor is read). Components
    /// without weights (tokenizer, scheduler) count nothing.
    public func float32Bytes(variant: String? = nil) -> Double {
        components.keys.reduce(0.0) { total, name in
            guard let weights = try? self.weights(name, variant: variant) else { return total }
            return total + weights.names.reduce(0.0) { $0 + Double((weights.shape(of: $1) ?? []).reduce(1, *)) * 4 }
        }
    }

    /// `component/config.json` (or `scheduler_config.json`) decoded.
    public func configuration<T: Decodable>(_ component: String, as type: T.Type, file: String = "config.json") throws -> T {
        let url = try folder(component).appendingPathComponent(file)
        guard FileManager.default.fileExists(atPath: url.path) else { throw ModelFolderError.missingFile(path: url.path) }
        return try ConfigurationFile.decode(T.self, from: url)
    }
}

extension DiffusersFolder {
    /// Checks the layout a family's loader needs before anything is read: `model_index.json` names
    /// `pipeline`, every one of `components` is listed with an existing folder, and each network in
    /// `classes` (component → class name) has that class.
    ///
    /// - Throws: ``ModelFolderError/wrongPipeline(path:found:expected:)``,
    ///   ``ModelFolderError/missingComponent(folder:component:)`` or
    ///   ``ModelFolderError/wrongComponentClass(path:component:found:expected:)``, naming the file.
    public func requireLayout(pipeline: String, components required: [String], classes: [String: String]) throws {
        let index = url.appendingPathComponent("model_index.json").path
        guard pipelineClass == pipeline else { throw ModelFolderError.wrongPipeline(path: index, found: pipelineClass, expected: pipeline) }
        for component in required {
            guard components[component] != nil else { throw ModelFolderError.missingComponent(folder: url.path, component: component) }
            _ = try folder(component)
        }
        for (component, expected) in classes.sorted(by: { $0.key < $1.key }) {
            guard let found = components[component]?.className else {
                throw ModelFolderError.missingComponent(folder: url.path, component: component)
            }
            guard found == expected else {
                throw ModelFolderError.wrongComponentClass(path: index, component: component, found: found, expected: expected)
            }
        }
    }

    /// `url` if a file exists there, else ``ModelFolderError/missingFile(path:)``: for a
    /// component's `config.json` before it is decoded, so the error names the file.
    public static func existingFile(_ url: URL) throws -> URL {
        guard FileManager.default.fileExists(atPath: url.path) else { throw ModelFolderError.missingFile(path: url.path) }
        return url
    }
}

/// Why a model folder cannot be used.
public enum ModelFolderError: Error, CustomStringConvertible {
    /// No folder at `path`; `repository` is the hub id it would be downloaded from, when known.
    case notFound(path: String, repository: String? = nil)
    case missingFile(path: String)
    case missingComponent(folder: String, component: String)
    case wrongFamily(path: String, found: String, expected: String)
    /// `model_index.json` names another pipeline class than the loader reads.
    case wrongPipeline(path: String, found: String, expected: String)
    /// A component of `model_index.json` has another class than the loader reads.
    case wrongComponentClass(path: String, component: String, found: String, expected: String)

    public var description: String {
        switch self {
        case .notFound(let path, let repository):
            let repo = repository ?? "<repo>"
            return "\(path): no such model folder. Download it first: `modelscope download --model \(repo) --local_dir \(path)` or `huggingface-cli download \(repo) --local-dir \(path)`"
        case .missingFile(let path): return "\(path): file not found"
        case .missingComponent(let folder, let component): return "\(folder): component folder '\(component)/' is missing"
        case .wrongFamily(let path, let found, let expected): return "\(path): this is a \(found), not a \(expected)"
        case .wrongPipeline(let path, let found, let expected):
            return "\(path): model_index.json describes a \(found.isEmpty ? "pipeline without _class_name" : found), not a \(expected)"
        case .wrongComponentClass(let path, let component, let found, let expected):
            return "\(path): component '\(component)' is a \(found); this adapter reads \(expected)"
        }
    }
}
