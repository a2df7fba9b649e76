import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Loads adapter plugins: shared libraries built as nested packages under `plugins/` that link
/// the framework's dynamic product.
///
/// A plugin exports one C symbol, `diffsynth_plugin_register`, taking the framework's ABI
/// version and returning 0 on success after calling ``AdapterRegistry/register(_:origin:)`` for
/// its adapters. The host executable is linked with `--export-dynamic`, so the plugin's
/// references to framework symbols (the registry, the protocols) resolve to the host's copy —
/// without that, protocol casts across the boundary fail silently. Plugins must be built with
/// the same toolchain and framework revision (Swift has no stable ABI for our modules on Linux);
/// the version check catches the common mismatch. Libraries are never closed (Swift metadata
/// from them stays referenced).
public enum PluginLoader {
    /// Bumped whenever a change to the framework breaks plugins built against the previous revision.
    /// 2: `DiffusionPipeline.embeddedGuidance`, `PipelineDescriptor.embeddedGuidance`, `AdapterLoadOptions.maxSequenceLength`.
    public static let abiVersion: Int32 = 2

    /// The entry point every plugin exports.
    public static let entrySymbol = "diffsynth_plugin_register"

    private typealias Entry = @convention(c) (Int32) -> Int32

    /// Loads `url` and runs its registration. Throws ``AdapterError/plugin(path:reason:)`` naming the file.
    public static func load(_ url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else { throw AdapterError.plugin(path: url.path, reason: "no such file") }
        guard hostSharesSwiftRuntime else {
            throw AdapterError.plugin(path: url.path, reason: "this diffsynth carries the Swift runtime inside it (--static-swift-stdlib, as make install builds it), "
                + "and a plugin must share the host's one runtime; load plugins with a binary built in the checkout "
                + "(swift build -c release --product diffsynth, then .build/release/diffsynth)")
        }
        guard let handle = dlopen(url.path, RTLD_NOW | RTLD_GLOBAL) else {
            throw AdapterError.plugin(path: url.path, reason: "cannot load: \(String(cString: dlerror()))")
        }
        guard let symbol = dlsym(handle, entrySymbol) else {
            throw AdapterError.plugin(path: url.path, reason: "exports no '\(entrySymbol)' function")
        }
        let status = AdapterRegistry.shared.attributing(to: url.path) { unsafeBitCast(symbol, to: Entry.self)(abiVersion) }
        switch status {
        case 0: return
        case -1: throw AdapterError.plugin(path: url.path, reason: "built for another framework ABI version (host has \(abiVersion)); rebuild the plugin")
        default: throw AdapterError.plugin(path: url.path, reason: "registration failed with status \(status)")
        }
    }

    /// Whether the process runs the shared Swift runtime a plugin links. A binary built with
    /// `--static-swift-stdlib` has its own copy inside; a plugin would load the shared one next to
    /// it, and two runtimes in one process disagree on type metadata and hashing (it traps).
    public static var hostSharesSwiftRuntime: Bool {
        #if os(Linux)
        return dlopen("libswiftCore.so", RTLD_LAZY | RTLD_NOLOAD) != nil
        #else
        return true
        #endif
    }

    /// Loads every `*.so` (or `.dylib`) in `directory`, returning the errors of those that failed.
    public static func loadAll(in directory: URL) -> [Error] {
        let files = (try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? []
        var errors: [Error] = []
        for file in files.sorted(by: { $0.path < $1.path }) where ["so", "dylib"].contains(file.pathExtension) {
            do { try load(file) } catch { errors.append(error) }
        }
        return errors
    }
}
