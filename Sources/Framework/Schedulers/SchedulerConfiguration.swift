import Foundation

/// Builds the scheduler a diffusers model folder asks for, from its `scheduler_config.json`.
///
/// The file's `_class_name` picks the type: `FlowMatchEulerDiscreteScheduler` →
/// ``FlowMatchEulerScheduler``, `EulerDiscreteScheduler` → ``EulerDiscreteScheduler``,
/// `EulerAncestralDiscreteScheduler` → ``EulerAncestralScheduler``. Anything else, a malformed
/// value or a setting these ports do not implement throws a ``SchedulerConfigurationError`` that
/// names the file and the key.
public enum SchedulerConfiguration {
    /// The diffusers class names ``load(contentsOf:)`` understands.
    public static let supportedClassNames = [
        "FlowMatchEulerDiscreteScheduler", "EulerDiscreteScheduler", "EulerAncestralDiscreteScheduler",
    ]

    /// The scheduler described by the `scheduler_config.json` at `url`.
    public static func load(contentsOf url: URL) throws -> any Scheduler {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw SchedulerConfigurationError(file: url.path, reason: "cannot be read (\(error.localizedDescription))")
        }
        do {
            return try scheduler(fromJSON: data)
        } catch let error as SchedulerConfigurationError {
            throw error.located(in: url.path)
        }
    }

    /// The scheduler described by the contents of a `scheduler_config.json`.
    public static func scheduler(fromJSON data: Data) throws -> any Scheduler {
        let className = try decodeSchedulerConfiguration(ClassName.self, from: data).name
        switch className {
        case "FlowMatchEulerDiscreteScheduler":
            return try FlowMatchEulerScheduler(config: decodeSchedulerConfiguration(FlowMatchEulerConfiguration.self, from: data))
        case "EulerDiscreteScheduler":
            return try EulerDiscreteScheduler(config: decodeSchedulerConfiguration(EulerDiscreteConfiguration.self, from: data))
        case "EulerAncestralDiscreteScheduler":
            return try EulerAncestralScheduler(config: decodeSchedulerConfiguration(EulerDiscreteConfiguration.self, from: data))
        default:
            let supported = supportedClassNames.joined(separator: ", ")
            throw SchedulerConfigurationError(key: ClassName.CodingKeys.name.rawValue,
                                              reason: "unsupported scheduler class \"\(className)\" (supported: \(supported))")
        }
    }

    /// The `_class_name` diffusers writes into every saved configuration.
    private struct ClassName: Decodable {
        let name: String

        enum CodingKeys: String, CodingKey {
            case name = "_class_name"
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            guard let name: String = try c.optionalValue(.name) else {
                throw SchedulerConfigurationError(key: CodingKeys.name.rawValue, reason: "missing: cannot tell which scheduler to build")
            }
            self.name = name
        }
    }
}
