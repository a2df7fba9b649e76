import Foundation

/// Compiled PTX, cached on disk per GPU architecture and NVRTC version, so each kernel source is
/// compiled once per machine rather than at every start.
///
/// Files live under `DIFFSYNTH_CACHE_DIR` (default `$XDG_CACHE_HOME/diffsynth` or
/// `~/.cache/diffsynth`) as `cuda/<architecture>/<unit>-<hash>.ptx`, where the hash covers the
/// source, the options and the NVRTC version; they are written atomically (a temporary, then a
/// rename), so a crash never leaves a truncated PTX that a later start would load.
public struct CUDAKernelCache: Sendable {
    /// The cache's root folder.
    public let root: URL

    /// A cache in `root`, or in the default folder for this environment.
    public init(root: URL? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let root {
            self.root = root
        } else if let dir = environment["DIFFSYNTH_CACHE_DIR"], !dir.isEmpty {
            self.root = URL(fileURLWithPath: dir)
        } else if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            self.root = URL(fileURLWithPath: xdg).appendingPathComponent("diffsynth")
        } else {
            self.root = URL(fileURLWithPath: environment["HOME"] ?? NSHomeDirectory()).appendingPathComponent(".cache/diffsynth")
        }
    }

    /// Where `unit` compiled for `architecture` with `compiler` lives.
    public func file(for unit: CUDAKernelSources.Unit, architecture: String, compiler: (major: Int, minor: Int), options: [String] = []) -> URL {
        // FNV-1a over everything that changes the PTX: stable across runs (Swift's Hasher is seeded per process).
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(compiler.major).\(compiler.minor)\u{0}\(options.joined(separator: " "))\u{0}\(unit.source)".utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        let stem = unit.name.replacingOccurrences(of: ".cu", with: "")
        return root.appendingPathComponent("cuda").appendingPathComponent(architecture)
            .appendingPathComponent("\(stem)-\(String(hash, radix: 16)).ptx")
    }

    /// The PTX of `unit`: read from the cache, or compiled by `nvrtc` and stored.
    /// - Returns: the PTX and whether it came from the cache.
    public func ptx(for unit: CUDAKernelSources.Unit, architecture: String, nvrtc: NVRTC, options: [String] = []) throws -> (ptx: String, cached: Bool) {
        let url = file(for: unit, architecture: architecture, compiler: nvrtc.version, options: options)
        if let text = try? String(contentsOf: url, encoding: .utf8), text.contains(".entry") { return (text, true) }
        let ptx = try nvrtc.compile(unit.source, name: unit.name, architecture: architecture, options: options)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
            try Data(ptx.utf8).write(to: temporary)
            if rename(temporary.path, url.path) != 0 { try? FileManager.default.removeItem(at: temporary) }
        } catch {
            // An unwritable cache costs a compile per start, nothing else.
        }
        return (ptx, false)
    }
}
