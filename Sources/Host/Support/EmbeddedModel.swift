import Foundation

/// The embedded default model (a small Qwen-Image trained on synthetic shapes): what every
/// command uses when no model is named.
///
/// It is found relative to the running binary, so the same lookup serves an installed copy and
/// a build tree: `PREFIX/bin/diffsynth` reads `PREFIX/share/diffsynth/qwen-image-shapes` (what
/// `make install` writes), and a binary under the checkout's `.build*` folder reads the checkout's
/// `Models/qwen-image-shapes`. `DIFFSYNTH_DEFAULT_MODEL` names another folder.
enum EmbeddedModel {
    static let name = "qwen-image-shapes"
    /// The size it was trained at, the default when it is used without --height/--width (the
    /// family's own default, 1024×1024, would take minutes per image and show nothing it learnt).
    static let resolution = (height: 64, width: 64)

    /// The folders looked in, in order.
    static func candidates(executable: URL? = executableURL()) -> [URL] {
        var folders: [URL] = []
        if let override = ProcessInfo.processInfo.environment["DIFFSYNTH_DEFAULT_MODEL"], !override.isEmpty {
            return [URL(fileURLWithPath: override)]
        }
        guard let executable else { return folders }
        let bin = executable.deletingLastPathComponent()
        folders.append(bin.deletingLastPathComponent().appendingPathComponent("share/diffsynth/\(name)"))
        // A build tree: the binary sits a few folders below the checkout (.build/release/diffsynth,
        // .build-testing/x86_64-unknown-linux-gnu/release/…).
        var folder = bin
        for _ in 0..<5 {
            folders.append(folder.appendingPathComponent("Models/\(name)"))
            folder.deleteLastPathComponent()
        }
        return folders
    }

    /// The embedded model's folder, or nil with the places looked in.
    static func locate() -> (folder: URL?, searched: [URL]) {
        let searched = candidates()
        let found = searched.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("model_index.json").path) }
        return (found, searched)
    }

    /// The running binary, symlinks resolved (an installed binary may be reached through a link).
    static func executableURL() -> URL? {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return URL(fileURLWithPath: path).resolvingSymlinksInPath()
        }
        return Bundle.main.executableURL?.resolvingSymlinksInPath()
    }
}
