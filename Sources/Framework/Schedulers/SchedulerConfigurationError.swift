import Foundation

/// Why a scheduler configuration (a diffusers `scheduler_config.json`) cannot be used: names the
/// file and the key at fault, so a broken model folder is fixed without reading code.
public struct SchedulerConfigurationError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The configuration file, when the configuration came from one.
    public var file: String?
    /// The key at fault (`_class_name`, `timestep_spacing`, …), when one key is to blame.
    public var key: String?
    /// What is wrong, in words.
    public var reason: String

    /// An error about `key` of `file` (either may be unknown).
    public init(file: String? = nil, key: String? = nil, reason: String) {
        self.file = file
        self.key = key
        self.reason = reason
    }

    /// "<file>: key "<key>": <reason>".
    public var description: String {
        let place = file ?? "scheduler configuration"
        guard let key else { return "\(place): \(reason)" }
        return "\(place): key \"\(key)\": \(reason)"
    }

    /// The ``description``, for `localizedDescription`.
    public var errorDescription: String? { description }

    /// The same error attributed to `file` (configurations are validated before the loader knows
    /// which file they came from).
    func located(in file: String) -> SchedulerConfigurationError {
        var copy = self
        copy.file = file
        return copy
    }
}
