import ArgumentParser
import DiffSynth
import Foundation

/// Options shared by every command that needs model families: plugins to load.
struct PluginOptions: ParsableArguments {
    @Option(name: .customLong("plugin"), help: "An adapter plugin library (.so) to load; repeatable. DIFFSYNTH_PLUGIN_PATH adds a folder of them.")
    var plugins: [String] = []

    /// Registers built-in adapters and loads plugins, once per process.
    func registerAdapters() throws {
        try BuiltinAdapters.registerOnce()
        for path in plugins { try PluginLoader.load(URL(fileURLWithPath: path)) }
        if let folder = ProcessInfo.processInfo.environment["DIFFSYNTH_PLUGIN_PATH"] {
            if let error = PluginLoader.loadAll(in: URL(fileURLWithPath: folder)).first { throw error }
        }
    }
}

enum BuiltinAdapters {
    nonisolated(unsafe) private static var registered = false
    private static let lock = NSLock()

    static func registerOnce() throws {
        try lock.withLock {
            guard !registered else { return }
            registered = true
            for adapter in all { try AdapterRegistry.shared.register(adapter) }
        }
    }
}
