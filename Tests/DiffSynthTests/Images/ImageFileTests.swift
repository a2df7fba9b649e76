import Foundation
import Testing
@testable import DiffSynth

@Suite("Reading and writing image files")
struct ImageFileTests {
    /// A fresh empty directory.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("diffsynth-images-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("the format is recognised by signature, whatever the extension")
    func detection() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let png = directory.appendingPathComponent("really_a_png.jpg")
        try ImageFixtures.data("png/rgb8.png").write(to: png)
        #expect(try RGBImage(contentsOf: png).width == 13)
        let jpeg = directory.appendingPathComponent("really_a_jpeg.png")
        try ImageFixtures.data("jpeg/gray.jpg").write(to: jpeg)
        #expect(try RGBImage(contentsOf: jpeg).width == 32)
    }

    @Test("unknown formats, missing and unreadable files throw errors naming the path")
    func errors() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let gif = directory.appendingPathComponent("anim.gif")
        try Data("GIF89a....".utf8).write(to: gif)
        #expect(throws: ImageError.unknownFormat(file: gif.path)) { try RGBImage(contentsOf: gif) }
        let missing = directory.appendingPathComponent("missing.png")
        do {
            _ = try RGBImage(contentsOf: missing)
            Issue.record("missing file loaded")
        } catch let error as ImageError {
            guard case .unreadable(let file, _) = error else { Issue.record("\(error)"); return }
            #expect(file == missing.path && error.description.hasPrefix(missing.path + ": "))
        }
        let empty = directory.appendingPathComponent("empty.png")
        try Data().write(to: empty)
        #expect(throws: ImageError.unknownFormat(file: empty.path)) { try RGBImage(contentsOf: empty) }
    }

    @Test("PNG and JPEG writes are atomic, replace existing files and leave no temporary files")
    func atomicWrite() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let image = ImageFixtures.picture(width: 40, height: 30)
        let png = directory.appendingPathComponent("out.png")
        try Data("old contents".utf8).write(to: png)
        try image.write(to: png, format: .png)
        #expect(try RGBImage(contentsOf: png) == image)
        let jpeg = directory.appendingPathComponent("out.jpg")
        try image.write(to: jpeg, format: .jpeg(quality: 90))
        #expect(pixelDifference(try RGBImage(contentsOf: jpeg), image).mean < 4)
        try image.write(to: jpeg, format: .jpeg)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(names == ["out.jpg", "out.png"])
    }

    @Test("the output format follows the file extension; unknown extensions are named errors")
    func formatFromPath() throws {
        #expect(try ImageFormat(path: "out/a.png") == .png)
        #expect(try ImageFormat(path: "B.JPG") == .jpeg(quality: 95))
        #expect(try ImageFormat(path: "/x.y/c.jpeg") == .jpeg)
        #expect(throws: ImageError.unsupported(file: "d.gif", detail: "cannot tell the image format from the extension '.gif'; use .png, .jpg or .jpeg")) {
            try ImageFormat(path: "d.gif")
        }
        #expect(throws: ImageError.self) { try ImageFormat(path: "dir.png/noext") }
    }

    @Test("a failed write throws, names the file and leaves nothing behind")
    func failedWrite() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let image = ImageFixtures.picture(width: 8, height: 8)
        let nowhere = directory.appendingPathComponent("no/such/dir/out.png")
        #expect(throws: ImageError.self) { try image.write(to: nowhere, format: .png) }
        // An encoding failure (quality out of range, an empty image) happens before any file exists.
        let target = directory.appendingPathComponent("bad.jpg")
        do {
            try image.write(to: target, format: .jpeg(quality: 101))
            Issue.record("wrote with quality 101")
        } catch let error as ImageError {
            #expect(error.description.hasPrefix(target.path))
        }
        #expect(throws: ImageError.self) { try RGBImage(width: 0, height: 0).write(to: target, format: .png) }
        // Renaming onto a directory fails after the temporary file was written: it must be removed.
        let occupied = directory.appendingPathComponent("occupied.png")
        try FileManager.default.createDirectory(at: occupied.appendingPathComponent("child"), withIntermediateDirectories: true)
        #expect(throws: ImageError.self) { try image.write(to: occupied, format: .png) }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(names == ["occupied.png"])
    }
}
